// From an event batch on the `webhooks` queue to durable deliveries: one per (event, matching
// endpoint), with a deterministic id, so a batch delivered again by the bus records nothing twice.
// Completion checks become `notification.completed` once every message of the notification is final.
import { summarize } from '../../domain/status';
import type { NotificationStatus } from '../../domain/types';
import { deliveryIdOf } from '../../domain/webhooks';
import type { Store } from '../../store/store';
import { boundedStore } from '../../store/call-timeout';
import type { NewWebhookDelivery } from '../../store/store-webhooks';
import type { EndpointCache } from './endpoint-cache';
import { makeWebhookEvent, payloadOf, type CompletionCheck, type WebhookBatch, type WebhookEvent } from './events';

/** Fan-out over: no message of the notification is still to be created. */
const FAN_OUT_ENDED: readonly NotificationStatus[] = ['dispatched', 'cancelled', 'expired'];

export interface FanOut {
  /** Records the batch's deliveries; resolves how many were new. */
  handle(batch: WebhookBatch): Promise<number>;
}

/** Whether a queue body is a batch this version can read (anything else is dead-lettered). */
export function isWebhookBatch(body: unknown): body is WebhookBatch {
  if (!body || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  const events = b.events ?? [];
  const checks = b.checks ?? [];
  if (!Array.isArray(events) || !Array.isArray(checks)) return false;
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  return (
    events.every((e) => e && typeof e === 'object' && str(e.id) && str(e.type) && str(e.workspaceId) && str(e.timestamp) && typeof e.data === 'object') &&
    checks.every((c) => c && typeof c === 'object' && str(c.workspaceId) && str(c.notificationId))
  );
}

/**
 * `callTimeoutMs` (config store.callTimeoutMs; 0 or absent: no bound): each store call gives up after it
 * (StoreTimeoutError), so a hung store fails the batch, which the bus delivers again, instead of holding it
 * for good; a batch given up and handled again records nothing twice (delivery ids are deterministic).
 * Each call, not the batch as a whole: a slow batch that is making progress is not given up.
 */
export function createFanOut(deps: { store: Store; cache: EndpointCache; retryForMs: number; callTimeoutMs?: number }): FanOut {
  const { cache } = deps;
  const store = boundedStore(deps.store, deps.callTimeoutMs ?? 0);

  async function completion(c: CompletionCheck): Promise<WebhookEvent | undefined> {
    const n = await store.notifications.get(c.notificationId);
    if (!n || n.workspaceId !== c.workspaceId || !FAN_OUT_ENDED.includes(n.status)) return undefined;
    const counts = await store.messages.countByStatus(n.id);
    const { total, pending } = summarize(counts);
    if (pending > 0) return undefined;
    return makeWebhookEvent({
      workspaceId: n.workspaceId,
      type: 'notification.completed',
      key: n.id,
      data: { notificationId: n.id, programId: n.programId, eventTypeId: n.eventTypeId, status: n.status, total, counts },
    });
  }

  return {
    async handle(batch) {
      const events = [...(batch.events ?? [])];
      for (const c of batch.checks ?? []) {
        if (!(await cache.wanted(c.workspaceId, 'notification.completed'))) continue;
        const e = await completion(c);
        if (e) events.push(e);
      }
      const now = new Date();
      const retryUntil = new Date(now.getTime() + deps.retryForMs);
      const deliveries: NewWebhookDelivery[] = [];
      for (const e of events) {
        const endpoints = await cache.matching(e.workspaceId, e.type);
        if (endpoints.length === 0) continue;
        const payload = payloadOf(e);
        for (const ep of endpoints) {
          deliveries.push({
            id: deliveryIdOf(e.id, ep.id), workspaceId: e.workspaceId, endpointId: ep.id, eventId: e.id, eventType: e.type,
            payload, nextAttemptAt: now, retryUntil,
          });
        }
      }
      return (await store.webhooks.enqueueDeliveries(deliveries)).length;
    },
  };
}
