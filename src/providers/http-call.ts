// One HTTP call with a timeout and transport failures mapped to the provider error catalogue,
// plus the webhook helpers (parameters, shared-token check) the HTTP-API SMS providers share.
// Provider options live in options.ts.
import { timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Agent, request } from 'undici';
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

/** Connection never established: the vendor cannot have seen the message. */
export const NOT_CONNECTED: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

// undici's request() rather than fetch: about a sixth of the CPU per call (no web streams, no AbortSignal).
// One agent: keep-alive connections pooled per origin.
const agent = new Agent();

function errorCode(e: unknown): string {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof err?.code === 'string') return err.code;
  return typeof err?.cause?.code === 'string' ? err.cause.code : '';
}

/** Header values by lower-case name (undici gives them so), joined when repeated. */
function replyHeaders(raw: Record<string, string | string[] | undefined>): ReplyHeaders {
  return {
    get(name: string): string | null {
      const v = raw[name.toLowerCase()];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** Performs the call; throws ProviderError TIMEOUT or NETWORK when no HTTP answer came back. */
export async function httpCall(providerId: string, call: HttpCall): Promise<HttpReply> {
  // One deadline for connect, answer and body; an EventEmitter is the signal undici takes at least cost.
  const abort = new EventEmitter();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.emit('abort');
  }, call.timeoutMs);
  try {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(call.url, { method: call.method, headers: call.headers, body: call.body, dispatcher: agent, signal: abort });
    } catch (e) {
      if (timedOut) {
        throw new ProviderError('TIMEOUT', `${providerId}: no answer from ${new URL(call.url).host} within ${call.timeoutMs} ms`, {
          mayHaveBeenAccepted: true,
        });
      }
      const code = errorCode(e);
      const what = `${providerId}: ${call.method} ${new URL(call.url).host} failed: ${code || (e as Error)?.message || String(e)}`;
      throw new ProviderError('NETWORK', what, { ...(code ? { providerCode: code } : {}), mayHaveBeenAccepted: !NOT_CONNECTED.has(code) });
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      // The status line came, the body did not: the vendor may well have accepted the message.
      throw new ProviderError('NETWORK', `${providerId}: answer body lost: ${(e as Error).message}`, { httpStatus: res.statusCode, mayHaveBeenAccepted: true });
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: replyHeaders(res.headers), text, json };
  } finally {
    clearTimeout(timer);
  }
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
