// Status webhooks to the client: the event types, the Standard Webhooks signature, and what an
// attempt's outcome means for the next one. Pure: no I/O here.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { exponentialJitter, retryAfterFrom } from './retry';
import type { MessageStatus } from './types';

/** Message statuses sent as events: every status except the two internal hand-overs (accepted, sending). */
export const WEBHOOK_MESSAGE_STATUSES = ['scheduled', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected'] as const;

export const WEBHOOK_EVENT_TYPES = [
  'message.scheduled', 'message.queued', 'message.sent', 'message.delivered', 'message.undelivered', 'message.failed',
  'message.expired', 'message.cancelled', 'message.rejected', 'notification.completed', 'campaign.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(t: string): t is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(t);
}

/** The event a message status becomes, or undefined for statuses not sent (accepted, sending). */
export function messageEventType(status: MessageStatus): WebhookEventType | undefined {
  return (WEBHOOK_MESSAGE_STATUSES as readonly string[]).includes(status) ? (`message.${status}` as WebhookEventType) : undefined;
}

/** An endpoint's filter: no list (or an empty one) takes every event. */
export function endpointWants(events: readonly string[], type: string): boolean {
  return events.length === 0 || events.includes(type);
}

/**
 * Client endpoint ids: `we_` and 24 base62-ish characters. The prefix is reserved: provider ids may not
 * start with it, so `/v1/webhooks/<id>` is a client endpoint exactly when the id has this prefix.
 */
export const ENDPOINT_ID_PREFIX = 'we_';
export const ENDPOINT_ID_PATTERN = /^we_[A-Za-z0-9]{8,64}$/;
export const isEndpointId = (s: string): boolean => s.startsWith(ENDPOINT_ID_PREFIX);

const token = (bytes: number): string => randomBytes(bytes).toString('base64url').replace(/[-_]/g, '').slice(0, 24).padEnd(24, '0');
export const newEndpointId = (): string => `${ENDPOINT_ID_PREFIX}${token(24)}`;
export const newDeliveryId = (): string => `wd_${token(24)}`;

/** A stable event id from what identifies the change: the same change gives the same id in any process. */
export function eventIdOf(...parts: Array<string | number>): string {
  return `evt_${createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 27)}`;
}

/** The delivery of one event to one endpoint: deterministic, so a redelivered event is not delivered twice. */
export function deliveryIdOf(eventId: string, endpointId: string): string {
  return `wd_${createHash('sha256').update(`${eventId}|${endpointId}`).digest('base64url').slice(0, 27)}`;
}

/** A signing secret in the Standard Webhooks format: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * `webhook-signature` of a payload: `v1,` and base64 of HMAC-SHA256, keyed with the secret's base64
 * part decoded, over `${id}.${timestamp}.${body}` (timestamp in seconds).
 */
export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** What one attempt ended with: an HTTP status, or no answer at all (timeout, refused, DNS, too large). */
export type AttemptOutcome =
  | { kind: 'answer'; status: number; retryAfter?: string | null }
  | { kind: 'no-answer'; error: string; retryable: boolean };

/** 2xx is delivered; 408, 429 and 5xx and no answer are tried again; any other 4xx (or 3xx) is final. */
export function isSuccess(o: AttemptOutcome): boolean {
  return o.kind === 'answer' && o.status >= 200 && o.status < 300;
}

export function isRetryable(o: AttemptOutcome): boolean {
  if (o.kind === 'no-answer') return o.retryable;
  return o.status === 408 || o.status === 429 || o.status >= 500;
}

export interface RetryPolicy {
  retryBaseMs: number;
  retryMaxMs: number;
}

/**
 * When to try again after failed attempt number `attempt` (1 = the first), or undefined when the
 * delivery is over. Equal jitter: half the exponential step fixed, half random (retry.ts's full
 * jitter), so tries spread out and never come back at once; a 429's Retry-After is honoured as asked
 * (within the window). The last try is made at the end of the retry window, never after it.
 */
export function nextAttemptAt(
  policy: RetryPolicy,
  o: AttemptOutcome,
  attempt: number,
  /** End of the delivery's retry window (created, or replayed, + the configured retry time). */
  retryUntil: Date,
  now: Date,
  random: () => number = Math.random,
): Date | undefined {
  if (isSuccess(o) || !isRetryable(o)) return undefined;
  const deadline = retryUntil.getTime();
  if (now.getTime() >= deadline) return undefined;
  const { retryBaseMs: baseMs, retryMaxMs: maxMs } = policy;
  const step = Math.min(maxMs, baseMs * 2 ** (Math.max(1, attempt) - 1));
  const jitter = exponentialJitter({ baseMs: Math.max(1, baseMs / 2), maxMs: Math.max(1, maxMs / 2) }, random)(attempt);
  let wait = Math.ceil(step / 2) + jitter;
  if (o.kind === 'answer' && o.status === 429) {
    const asked = retryAfterFrom(o.retryAfter ?? undefined, now);
    if (asked !== undefined) wait = Math.max(asked, 0);
  }
  return new Date(Math.min(now.getTime() + wait, deadline));
}
