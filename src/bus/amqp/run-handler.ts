// Shared by the AMQP and embedded buses: body parsing and handler invocation, so both treat
// malformed bodies and throwing handlers the same way.
import type { Delivery, Handler, HandlerResult } from '../bus';
import type { Logger } from '../../log/logger';

/** Delay before a delivery whose handler threw is tried again. */
export const THROWN_HANDLER_RETRY_MS = 1000;

export const HEADER_ATTEMPT = 'x-herald-attempt';
export const HEADER_REASON = 'x-herald-reason';
export const HEADER_ORIGINAL_QUEUE = 'x-herald-original-queue';

/** Largest body a consumer accepts (above the HTTP API's default 100 kb); bigger ones are dead-lettered unread. */
export const MAX_BODY_BYTES = 128 * 1024;

export type ParsedBody = { ok: true; body: unknown } | { ok: false; reason: string };

export function parseBody(raw: Buffer, maxBytes = MAX_BODY_BYTES): ParsedBody {
  if (raw.length > maxBytes) return { ok: false, reason: `body of ${raw.length} bytes exceeds the ${maxBytes}-byte limit` };
  try {
    return { ok: true, body: JSON.parse(raw.toString('utf8')) };
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
}

/** The attempt number a delivery carries: 1 when the header is absent or not a positive number. */
export function attemptOf(headers: Record<string, unknown>): number {
  const n = Number(headers[HEADER_ATTEMPT]);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** Runs a handler; a throw or a malformed result becomes a short retry, never a crash. */
export async function runHandler(handler: Handler, delivery: Delivery, queue: string, logger?: Logger): Promise<HandlerResult> {
  try {
    const result = await handler(delivery);
    if (result && (result.action === 'ack' || result.action === 'retry' || result.action === 'dead')) return result;
    if (result?.action === 'split' && Array.isArray(result.parts)) return result.parts.length === 0 ? { action: 'ack' } : result;
    logger?.error('bus handler returned no valid result; retrying', { queue, attempt: delivery.attempt });
    return { action: 'retry', delayMs: THROWN_HANDLER_RETRY_MS, reason: 'handler returned no valid result' };
  } catch (err) {
    const result = thrownRetry(err);
    logger?.warn('bus handler threw; retrying', { queue, attempt: delivery.attempt, error: result.error });
    return result.retry;
  }
}

/** What a handler's throw becomes: a short retry naming the error (also for each part of a grouped delivery). */
export function thrownRetry(err: unknown): { retry: HandlerResult; error: string } {
  const error = err instanceof Error ? err.message : String(err);
  return { retry: { action: 'retry', delayMs: THROWN_HANDLER_RETRY_MS, reason: `handler threw: ${error}` }, error };
}
