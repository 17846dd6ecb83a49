// Requests per key (per client address without a valid key) in fixed windows, counted in
// Herald's store so that every server process spends from the same budget.
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type ClientRateLimitInfo, type Options, type Store as LimitStore } from 'express-rate-limit';
import type { RateLimitRepo } from '../store/store';
import type { Credential } from './access';
import { HttpError } from './errors';

/** express-rate-limit's store over the RateLimitRepo: one upsert per request. */
export class SharedRateLimitStore implements LimitStore {
  readonly localKeys = false;
  readonly prefix = 'rl:';
  private windowMs = 60_000;
  private prunedWindow = 0;

  constructor(
    private readonly repo: RateLimitRepo,
    private readonly now: () => number = Date.now,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private windowStart(): number {
    return Math.floor(this.now() / this.windowMs) * this.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const start = this.windowStart();
    const resetTime = new Date(start + this.windowMs);
    if (start !== this.prunedWindow) {
      // Once per window per process: old windows go, so the table stays as small as the active clients.
      this.prunedWindow = start;
      void this.repo.prune(new Date(start)).catch(() => undefined);
    }
    const totalHits = await this.repo.hit(this.prefix + key, start, resetTime);
    return { totalHits, resetTime };
  }

  async decrement(key: string): Promise<void> {
    await this.repo.unhit(this.prefix + key, this.windowStart());
  }

  async resetKey(key: string): Promise<void> {
    await this.repo.reset(this.prefix + key);
  }
}

/** The client a request counts against: its valid key, else its address. */
export function rateLimitKey(credential: Credential | undefined, ip: string | undefined): string {
  if (credential?.kind === 'key') return `key:${credential.principal.keyId ?? 'local'}`;
  return `ip:${ipKeyGenerator(ip ?? 'unknown')}`;
}

/** Protected mode serves only this machine: nobody to limit, and the local tools stay fast. */
const unlimited = (res: { locals: Record<string, unknown> }): boolean =>
  (res.locals.credential as Credential | undefined)?.kind === 'none' && res.locals.keysExist === false;

export function createRateLimit(deps: { repo: RateLimitRepo; windowMs: number; max: number }): RequestHandler {
  const limiter = rateLimit({
    windowMs: deps.windowMs,
    limit: deps.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: new SharedRateLimitStore(deps.repo),
    keyGenerator: (req, res) => rateLimitKey(res.locals.credential, req.socket.remoteAddress),
    skip: (_req, res) => unlimited(res),
    handler: (_req, res, next, options) => {
      const retryAfter = res.getHeader('Retry-After') ?? String(Math.ceil(options.windowMs / 1000));
      next(new HttpError(429, 'RATE_LIMITED', `too many requests: at most ${deps.max} per ${options.windowMs / 1000} s; retry after ${retryAfter} s`, [], { 'Retry-After': String(retryAfter) }));
    },
    // The client address is the socket's (no proxy is trusted), so the X-Forwarded-For check does not apply.
    validate: { xForwardedForHeader: false, trustProxy: false },
  });
  // A skipped request does not enter express-rate-limit at all: its async wrapper, three awaits and the
  // arguments of its debug lines (request.ip, computed even with debug off) cost ~40 µs a request.
  return (req, res, next) => (unlimited(res) ? next() : limiter(req, res, next));
}
