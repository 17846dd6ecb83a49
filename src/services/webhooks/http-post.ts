// One webhook attempt: a POST through an agent that connects only to checked addresses, within a
// deadline for connect, answer and body, reading at most maxResponseBytes of the answer.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Agent, request } from 'undici';
import type { AttemptOutcome } from '../../domain/webhooks';
import { AddressNotAllowedError, guardedLookup, isPublicAddress, type Resolver } from './address';

export interface PosterOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Tests: a resolver standing in for DNS. */
  resolve?: Resolver;
}

export interface PostResult {
  outcome: AttemptOutcome;
  latencyMs: number;
  /** The start of the answer body (for the attempt's error), at most 200 characters. */
  excerpt?: string;
}

export interface WebhookPoster {
  post(url: string, headers: Record<string, string>, body: string): Promise<PostResult>;
  close(): Promise<void>;
}

function errorCode(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof err?.code === 'string') return err.code;
  return typeof err?.cause?.code === 'string' ? err.cause.code : '';
}

function refused(e: unknown): AddressNotAllowedError | undefined {
  const err = e as { cause?: unknown } | undefined;
  if (e instanceof AddressNotAllowedError) return e;
  return err?.cause instanceof AddressNotAllowedError ? err.cause : undefined;
}

export function createWebhookPoster(opts: PosterOptions): WebhookPoster {
  const agent = new Agent({
    connect: { lookup: guardedLookup(opts.allowPrivate, opts.resolve) as never, timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 4_000,
  });

  async function post(url: string, headers: Record<string, string>, body: string): Promise<PostResult> {
    const started = process.hrtime.bigint();
    const latency = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    // A literal address never goes through the lookup: it is checked here.
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && net.isIP(host) && !isPublicAddress(host)) {
      return { outcome: { kind: 'no-answer', error: `${host} is a loopback, private or link-local address`, retryable: false }, latencyMs: 0 };
    }
    const abort = new EventEmitter();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.emit('abort');
    }, opts.timeoutMs);
    try {
      const res = await request(url, { method: 'POST', headers, body, dispatcher: agent, signal: abort });
      let excerpt = '';
      let read = 0;
      try {
        for await (const chunk of res.body) {
          read += (chunk as Buffer).length;
          if (excerpt.length < 200) excerpt += (chunk as Buffer).toString('utf8').slice(0, 200 - excerpt.length);
          if (read > opts.maxResponseBytes) {
            res.body.destroy();
            break;
          }
        }
      } catch {
        // The status line came: that is the answer; a body cut short changes nothing.
      }
      const retryAfter = res.headers['retry-after'];
      return {
        outcome: { kind: 'answer', status: res.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : (retryAfter ?? null) },
        latencyMs: latency(),
        ...(excerpt ? { excerpt } : {}),
      };
    } catch (e) {
      const notAllowed = refused(e);
      if (notAllowed) return { outcome: { kind: 'no-answer', error: notAllowed.message, retryable: false }, latencyMs: latency() };
      // Our timer and undici's own timeouts (same length) race: either way the endpoint did not answer in time.
      const late = timedOut || /^UND_ERR_(HEADERS|BODY|CONNECT)_TIMEOUT$/.test(errorCode(e));
      const error = late ? `no answer within ${opts.timeoutMs} ms` : `${errorCode(e) || 'connection failed'}: ${(e as Error)?.message ?? String(e)}`;
      return { outcome: { kind: 'no-answer', error, retryable: true }, latencyMs: latency() };
    } finally {
      clearTimeout(timer);
    }
  }

  return { post, close: () => agent.close() };
}
