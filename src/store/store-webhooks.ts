// The storage contract of client webhook endpoints and their deliveries (both stores;
// test/contract/store.contract.webhooks.ts).
import type { Page, PageQuery } from '../domain/types';

export interface WebhookEndpoint {
  workspaceId: string;
  /** `we_...` (domain/webhooks.ts): never a provider id. */
  id: string;
  url: string;
  /** Event types sent; empty: every event. */
  events: string[];
  description?: string;
  /** `whsec_...`: signs every delivery; shown to the client only when created or rotated. */
  secret: string;
  enabled: boolean;
  /** Why it was disabled: `failing` when Herald disabled it, `manual` when the client did. */
  disabledReason?: 'failing' | 'manual';
  disabledAt?: Date;
  /** Start of the current run of failed attempts; cleared by any success. */
  failingSince?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type NewWebhookEndpoint = Omit<WebhookEndpoint, 'createdAt' | 'updatedAt'>;
export type WebhookEndpointPatch = Partial<Pick<WebhookEndpoint, 'url' | 'events' | 'description' | 'secret' | 'enabled' | 'disabledReason' | 'disabledAt' | 'failingSince'>>;

export interface WebhookAttempt {
  at: Date;
  /** The endpoint's HTTP status; absent when no answer came (timeout, refused, address not allowed). */
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

export const WEBHOOK_DELIVERY_STATES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[number];

export interface WebhookDelivery {
  /** Deterministic per (event, endpoint): see deliveryIdOf. */
  id: string;
  workspaceId: string;
  endpointId: string;
  /** Sent as `webhook-id`: the same on every attempt and replay. */
  eventId: string;
  eventType: string;
  /** The JSON body, exactly as sent. */
  payload: string;
  state: WebhookDeliveryState;
  /** Due time while pending; a claimed delivery's is the end of its lease. */
  nextAttemptAt?: Date;
  /** Set by each claim; a result is recorded only by the holder of the current one. */
  leaseToken?: string;
  /** No try is scheduled after this. */
  retryUntil: Date;
  /** Oldest first; the newest `MAX_KEPT_ATTEMPTS` are kept. */
  attempts: WebhookAttempt[];
  attemptCount: number;
  lastError?: string;
  createdAt: Date;
  updatedAt: Date;
}

export const MAX_KEPT_ATTEMPTS = 50;

export type NewWebhookDelivery = Pick<WebhookDelivery, 'id' | 'workspaceId' | 'endpointId' | 'eventId' | 'eventType' | 'payload' | 'retryUntil'> & { nextAttemptAt: Date };

/** A position in a workspace's message changes: updatedAt, then id. */
export interface WebhookSweepCursor {
  at: Date;
  id: string;
}

/** What an attempt leads to: try again at a time, or the delivery is over. */
export type WebhookAttemptResult = { state: 'pending'; nextAttemptAt: Date } | { state: 'succeeded' | 'failed' };

/**
 * Endpoints are read and written per workspace (another workspace's endpoint is absent), except by
 * the delivery worker, which acts for every workspace (`listEnabled`, `getEndpointById`, deliveries).
 */
export interface WebhookRepo {
  createEndpoint(e: NewWebhookEndpoint): Promise<WebhookEndpoint>;
  getEndpoint(ws: string, id: string): Promise<WebhookEndpoint | null>;
  getEndpointById(id: string): Promise<WebhookEndpoint | null>;
  /** Oldest first. */
  listEndpoints(ws: string, q: PageQuery): Promise<Page<WebhookEndpoint>>;
  /** Every enabled endpoint of every workspace (a small table: the worker caches it). */
  listEnabled(): Promise<WebhookEndpoint[]>;
  /** A key present with value undefined clears the field. */
  updateEndpoint(ws: string, id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpoint | null>;
  /** Deletes the endpoint and its deliveries. */
  deleteEndpoint(ws: string, id: string): Promise<boolean>;
  /**
   * Records an attempt's effect on the endpoint: a success clears failingSince; a failure sets it
   * when unset (to `at`). Resolves the endpoint after, or null when it is gone.
   */
  noteEndpointResult(id: string, ok: boolean, at: Date): Promise<WebhookEndpoint | null>;

  /** Inserts the deliveries whose id is new (pending, due at nextAttemptAt); resolves the ids inserted. */
  enqueueDeliveries(ds: NewWebhookDelivery[]): Promise<string[]>;
  /** Endpoint ids with pending deliveries due at `now` (at most `limit`, most overdue first), except those in `exclude` (busy ones). */
  dueEndpoints(now: Date, limit: number, exclude?: string[]): Promise<string[]>;
  /**
   * Claims up to `limit` due deliveries of one endpoint, oldest due first: each gets a new leaseToken
   * and nextAttemptAt = leaseUntil, so no other claim takes it until the lease ends.
   */
  claimDue(endpointId: string, now: Date, limit: number, leaseUntil: Date): Promise<WebhookDelivery[]>;
  /**
   * Appends the attempt and moves the delivery on, only while it still holds `leaseToken` (a claim
   * taken over after a lease ended cannot be overwritten by the late first holder). Null otherwise.
   */
  recordAttempt(id: string, leaseToken: string, attempt: WebhookAttempt | undefined, result: WebhookAttemptResult, error?: string): Promise<WebhookDelivery | null>;
  getDelivery(ws: string, endpointId: string, id: string): Promise<WebhookDelivery | null>;
  /** Newest first. */
  listDeliveries(ws: string, endpointId: string, filter: { state?: WebhookDeliveryState; eventId?: string }, q: PageQuery): Promise<Page<WebhookDelivery>>;
  /** Makes the delivery pending and due at `now` again, with a new retry window; its attempts are kept. */
  replayDelivery(ws: string, endpointId: string, id: string, now: Date, retryUntil: Date): Promise<WebhookDelivery | null>;
  /** Where the catch-up sweep of the workspace's message changes stands (the last change it turned into deliveries). */
  getSweepCursor(ws: string): Promise<WebhookSweepCursor | null>;
  setSweepCursor(ws: string, cursor: WebhookSweepCursor): Promise<void>;
  /** Deletes up to `limit` finished (succeeded or failed) deliveries last changed before `before`; resolves how many. */
  pruneDeliveries(before: Date, limit: number): Promise<number>;
}

/** The fields an attempt changes, the same in both stores (the attempt list capped, lastError kept readable). */
export function afterAttempt(
  d: Pick<WebhookDelivery, 'attempts' | 'attemptCount'>,
  attempt: WebhookAttempt | undefined,
  result: WebhookAttemptResult,
  error: string | undefined,
): { state: WebhookDeliveryState; nextAttemptAt?: Date; attempts: WebhookAttempt[]; attemptCount: number; lastError?: string } {
  const lastError =
    result.state === 'succeeded'
      ? undefined
      : (error ?? attempt?.error ?? (attempt?.statusCode !== undefined ? `HTTP ${attempt.statusCode}` : undefined));
  return {
    state: result.state,
    ...(result.state === 'pending' ? { nextAttemptAt: result.nextAttemptAt } : {}),
    attempts: attempt ? [...d.attempts, attempt].slice(-MAX_KEPT_ATTEMPTS) : d.attempts,
    attemptCount: d.attemptCount + (attempt ? 1 : 0),
    ...(lastError !== undefined ? { lastError } : {}),
  };
}
