// One HTTP call with a timeout and transport failures mapped to the provider error catalogue,
// plus the webhook helpers (parameters, shared-token check) the HTTP-API SMS providers share.
// Provider options live in options.ts.
import { timingSafeEqual } from 'node:crypto';
import { Agent, util } from 'undici';
import { retryAfterFrom } from '../domain/retry';
import { ProviderError, errorCodeForHttpStatus, type WebhookRequest } from './types';

/** The answer's headers, read by name in any case (a fetch `Headers` fits too). */
export interface ReplyHeaders {
  get(name: string): string | null;
}

export interface HttpReply {
  status: number;
  headers: ReplyHeaders;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
}

export interface HttpCall {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** Connection never established (undici's connect timeout: 10 s, before the 15 s default deadline): the vendor cannot have seen the message. */
export const NOT_CONNECTED: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_CONNECT_TIMEOUT']);

// undici's dispatcher with a handler of our own rather than fetch or request(): no web streams, no
// AbortSignal, no Readable body stream nor async resource per call (the body of a gateway's answer is a
// few bytes, collected as it comes). One agent: keep-alive connections pooled per origin.
const agent = new Agent();

function errorCode(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof err?.code === 'string') return err.code;
  return typeof err?.cause?.code === 'string' ? err.cause.code : '';
}

/** Header values by lower-case name, joined when repeated; parsed only if someone asks (a 429's Retry-After). */
function replyHeaders(raw: Buffer[]): ReplyHeaders {
  let parsed: Record<string, string | string[] | undefined> | undefined;
  return {
    get(name: string): string | null {
      parsed ??= util.parseHeaders(raw) as Record<string, string | string[] | undefined>;
      const v = parsed[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** The URL parsed, or why it cannot be called (new URL refuses it, or it is not http(s)). */
function parseHttpUrl(url: string): URL | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u : `is not an http(s) URL (${u.protocol})`;
}

/** Why `url` cannot be called; undefined when it can (start-up checks of provider options). */
export function httpUrlProblem(url: string): string | undefined {
  const u = parseHttpUrl(url);
  return typeof u === 'string' ? u : undefined;
}

/** A URL undici cannot be given: the provider's configuration, which the call fails with CONFIG (see failure()). */
class UncallableUrl extends Error {}

/** Where a URL's path starts (after `scheme://authority`); the origin and path of the last URL are kept (a provider's URL rarely changes). */
let lastUrl = '';
let lastTarget = { origin: '', path: '/' };
function target(url: string): { origin: string; path: string } {
  if (url === lastUrl) return lastTarget;
  const u = parseHttpUrl(url);
  if (typeof u === 'string') throw new UncallableUrl(u);
  lastTarget = { origin: u.origin, path: `${u.pathname}${u.search}` };
  lastUrl = url;
  return lastTarget;
}

/**
 * One call's undici handler (the dispatcher's own callback interface): status, headers and body bytes as
 * they come, and the call's promise settled from here (one object a call: no closures, no settle callback).
 */
class CallHandler {
  abort: ((err: Error) => void) | null = null;
  /** Set by the deadline before the request reached a socket: aborted as soon as it does. */
  abortReason: Error | null = null;
  status = 0;
  rawHeaders: Buffer[] | null = null;
  chunks: Buffer[] | null = null;
  chunk: Buffer | null = null;
  done = false;
  timer: NodeJS.Timeout | undefined = undefined;
  constructor(
    private readonly providerId: string,
    private readonly call: HttpCall,
    private readonly resolve: (reply: HttpReply) => void,
    private readonly reject: (e: ProviderError) => void,
  ) {}

  onConnect(abort: (err: Error) => void): void {
    if (this.abortReason) abort(this.abortReason);
    else this.abort = abort;
  }
  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: informational, the answer follows
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    return true;
  }
  onData(chunk: Buffer): boolean {
    if (this.chunk === null) this.chunk = chunk;
    else (this.chunks ??= [this.chunk]).push(chunk);
    return true;
  }
  onComplete(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const body = this.chunks ? Buffer.concat(this.chunks) : this.chunk;
    let text = body ? body.toString('utf8') : '';
    // As undici's body.text(): a leading byte order mark is not part of the text.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    this.resolve({ status: this.status, headers: replyHeaders(this.rawHeaders ?? []), text, json });
  }
  onError(err: Error): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.reject(this.failure(err));
  }
  /** The deadline: the call is aborted where it is (queued, connecting, waiting for the answer or its body). */
  expire(): void {
    const err = new DeadlineError(`no complete answer within ${this.call.timeoutMs} ms`);
    if (this.abort) return this.abort(err);
    // Not on a socket yet (connecting): settled now, not at undici's own connect timeout (10 s); dropped once it connects.
    this.abortReason = err;
    this.onError(err);
  }

  /** No complete HTTP answer: TIMEOUT or NETWORK, and whether the vendor may have taken the message; CONFIG: no request to make. */
  private failure(err: Error): ProviderError {
    const { providerId, call } = this;
    // Not the message nor the network: no retry can help. The URL stays out of the text (it may carry a key).
    if (err instanceof UncallableUrl) return new ProviderError('CONFIG', `${providerId}: the provider's URL ${err.message}`);
    if (this.rawHeaders !== null) {
      // The status line came, the body did not: the vendor may well have accepted the message.
      return new ProviderError('NETWORK', `${providerId}: answer body lost: ${err.message}`, { httpStatus: this.status, mayHaveBeenAccepted: true });
    }
    const code = errorCode(err);
    // undici refused to make the request (a header value with a line break): nothing sent, and no retry can help.
    if (code === 'UND_ERR_INVALID_ARG' && this.abort === null) return new ProviderError('CONFIG', `${providerId}: the request cannot be made: ${err.message}`, { providerCode: code });
    if (err instanceof DeadlineError) {
      // undici hands a request its abort right before writing it: without one, the vendor cannot have it.
      const written = this.abort !== null;
      const what = written ? 'no answer from' : 'no connection to';
      return new ProviderError('TIMEOUT', `${providerId}: ${what} ${new URL(call.url).host} within ${call.timeoutMs} ms`, { mayHaveBeenAccepted: written });
    }
    const what = `${providerId}: ${call.method} ${new URL(call.url).host} failed: ${code || err?.message || String(err)}`;
    return new ProviderError('NETWORK', what, { ...(code ? { providerCode: code } : {}), mayHaveBeenAccepted: !NOT_CONNECTED.has(code) });
  }
}

class DeadlineError extends Error {}

/** The call's deadline (a module function with the handler as its argument: no closure a call). */
function deadline(handler: CallHandler): void {
  handler.expire();
}

/** Performs the call; throws ProviderError TIMEOUT or NETWORK when no HTTP answer came back. */
export function httpCall(providerId: string, call: HttpCall): Promise<HttpReply> {
  startingId = providerId;
  startingCall = call;
  return new Promise<HttpReply>(startCall);
}

/** The call `startCall` makes: set right before `new Promise`, which runs its executor at once. One module
 *  function, not an executor closure per call (whose optimized code dies at each full GC and is compiled again). */
let startingId = '';
let startingCall: HttpCall | undefined;
function startCall(resolve: (reply: HttpReply) => void, reject: (e: ProviderError) => void): void {
  const providerId = startingId;
  const call = startingCall!;
  startingCall = undefined;
  const handler = new CallHandler(providerId, call, resolve, reject);
  let where: { origin: string; path: string };
  try {
    where = target(call.url);
  } catch (e) {
    handler.onError(e as Error);
    return;
  }
  // One deadline for connect, answer and body.
  handler.timer = setTimeout(deadline, call.timeoutMs, handler);
  agent.dispatch({ origin: where.origin, path: where.path, method: call.method, headers: call.headers, body: call.body }, handler);
}

/** An HTTP-level refusal (non-2xx) as a ProviderError, with the vendor's own text when short. */
export function httpStatusError(providerId: string, vendor: string, reply: HttpReply, providerCode?: string): ProviderError {
  const wait = reply.status === 429 ? retryAfterFrom(reply.headers.get('retry-after')) : undefined;
  const text = reply.text.length > 300 ? `${reply.text.slice(0, 300)}...` : reply.text;
  return new ProviderError(errorCodeForHttpStatus(reply.status), `${providerId}: ${vendor} answered HTTP ${reply.status}: ${text || 'no body'}`, {
    httpStatus: reply.status,
    ...(providerCode ? { providerCode } : {}),
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
  });
}

/** Milliseconds left until validUntil; throws REJECTED when less than a second is left. */
export function msLeft(validUntil: Date): number {
  const ms = validUntil.getTime() - Date.now();
  if (ms < 1000) throw new ProviderError('REJECTED', 'validity elapsed');
  return ms;
}

function stringRecord(o: unknown): Record<string, string> {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** The query parameters of the webhook URL (absolute or path only). */
export function queryParams(req: WebhookRequest): Record<string, string> {
  return Object.fromEntries(new URL(req.url, 'http://webhook.invalid').searchParams);
}

/**
 * The report's own parameters: the body (parsed JSON or form, or the raw form body) when there
 * is one, else the query string (vendors that report with GET).
 */
export function reportParams(req: WebhookRequest): Record<string, string> {
  let body = stringRecord(req.body);
  if (Object.keys(body).length === 0 && req.rawBody && req.rawBody.length > 0) {
    const raw = req.rawBody.toString('utf8').trim();
    body = raw.startsWith('{') ? stringRecord(safeJson(raw)) : Object.fromEntries(new URLSearchParams(raw));
  }
  return Object.keys(body).length > 0 ? body : queryParams(req);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * For vendors that do not sign: the callback URL carries `?token=<webhookToken>`; a report
 * without it or with another one is not authentic. No configured token: nothing to check.
 */
export function checkWebhookToken(providerId: string, req: WebhookRequest, webhookToken: string | undefined): void {
  if (webhookToken === undefined) return;
  const got = queryParams(req).token;
  if (got === undefined) throw new ProviderError('BAD_SIGNATURE', `${providerId}: delivery report without the token query parameter`);
  if (!sameSecret(got, webhookToken)) throw new ProviderError('BAD_SIGNATURE', `${providerId}: delivery report with a wrong token`);
}

/** The default callback URL: <publicUrl>/v1/webhooks/<type>/<id>[?token=...]. */
export function defaultCallbackUrl(publicUrl: string | undefined, type: string, id: string, webhookToken?: string): string | undefined {
  if (!publicUrl) return undefined;
  const base = `${publicUrl.replace(/\/+$/, '')}/v1/webhooks/${type}/${encodeURIComponent(id)}`;
  return webhookToken ? `${base}?token=${encodeURIComponent(webhookToken)}` : base;
}
