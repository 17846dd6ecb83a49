// Webhook events: what Herald tells a client, built once where the change is seen and put on the
// `webhooks` queue; the webhook worker turns each into one delivery per matching endpoint.
import type { Bus } from '../../bus/bus';
import { isFinal } from '../../domain/status';
import { eventIdOf, messageEventType, type WebhookEventType } from '../../domain/webhooks';
import type { Logger } from '../../log/logger';
import type { MessageChange, MessageListener } from '../usage/observe-messages';

/** One event, as it travels on the bus and (id, type, timestamp, workspaceId, data) as it is POSTed. */
export interface WebhookEvent {
  /** Stable: the same change always gives the same id (the `webhook-id` header). */
  id: string;
  type: WebhookEventType;
  workspaceId: string;
  /** ISO time of the change. */
  timestamp: string;
  data: Record<string, unknown>;
}

/** A request to check whether a notification is complete (all its messages final) and tell it once. */
export interface CompletionCheck {
  workspaceId: string;
  notificationId: string;
}

/** The body of a `webhooks` queue message. */
export interface WebhookBatch {
  events?: WebhookEvent[];
  checks?: CompletionCheck[];
}

/** The bytes POSTed for an event. */
export function payloadOf(e: WebhookEvent): string {
  return JSON.stringify({ id: e.id, type: e.type, timestamp: e.timestamp, workspaceId: e.workspaceId, data: e.data });
}

/** The event a message change becomes, or undefined for changes clients are not told about. */
export function messageEvent(c: MessageChange): WebhookEvent | undefined {
  const m = c.message;
  const type = messageEventType(m.status);
  if (!type || c.before === m.status) return undefined;
  // The change is the first entry of the trailing run of this status (notes appended later keep the
  // status): its position names it, so the live path and the catch-up sweep (sweep.ts) give one id.
  const h = m.statusHistory;
  let start = h.length;
  while (start > 1 && h[start - 2].status === m.status && h[start - 1].status === m.status) start--;
  const last = h[start - 1];
  // An insert has no `before`: its history names the status it was made from (stored `queued` after `accepted`), as the sweep reads it.
  const previous = c.before ?? (start >= 2 ? h[start - 2].status : undefined);
  const at = last?.at ?? new Date();
  const campaignId = (m as { campaignId?: string }).campaignId;
  return {
    id: eventIdOf('message', m.id, start, m.status),
    type,
    workspaceId: m.workspaceId,
    timestamp: new Date(at).toISOString(),
    data: {
      messageId: m.id,
      notificationId: m.notificationId,
      ...(campaignId ? { campaignId } : {}),
      programId: m.programId,
      eventTypeId: m.eventTypeId,
      userId: m.userId,
      channel: m.channel,
      to: m.to,
      status: m.status,
      ...(previous ? { previousStatus: previous } : {}),
      ...(c.reason ?? last?.reason ? { reason: c.reason ?? last?.reason } : {}),
      ...(m.provider ? { provider: m.provider } : {}),
      ...(m.providerStatus ? { providerStatus: m.providerStatus } : {}),
      ...(m.error ? { error: { code: m.error.code, message: m.error.message } } : {}),
      attempts: m.attempts,
    },
  };
}

/**
 * For callers outside the message flow (campaigns): an event with an id stable per (type, key), so
 * telling the same thing twice delivers it once. E.g. `{ type: 'campaign.completed', key: campaignId, ... }`.
 */
export function makeWebhookEvent(input: { workspaceId: string; type: WebhookEventType; key: string; data: Record<string, unknown>; at?: Date }): WebhookEvent {
  return {
    id: eventIdOf(input.type, input.workspaceId, input.key),
    type: input.type,
    workspaceId: input.workspaceId,
    timestamp: (input.at ?? new Date()).toISOString(),
    data: input.data,
  };
}

/**
 * Puts events on the `webhooks` queue; resolves once they are durable there. The one entry point for
 * other capabilities, e.g. campaigns:
 * `await emitWebhookEvent(bus, makeWebhookEvent({ workspaceId, type: 'campaign.completed', key: campaign.id, data: {...} }))`.
 */
export async function emitWebhookEvent(bus: Bus, ...events: WebhookEvent[]): Promise<void> {
  if (events.length) await bus.publish('webhooks', { events } satisfies WebhookBatch);
}

/** Events buffered before a flush that does not wait for the timer. */
const MAX_BUFFERED = 500;
/** Events held while the bus refuses them (beyond it they are dropped, with a warning), and the wait between tries. */
const MAX_HELD = 20_000;
const RETRY_MS = 1_000;

export interface WebhookEmitter {
  /** For observeStore: every message status change, seen once. */
  listener: MessageListener;
  /** Asks for a completion check (a notification whose fan-out ended). */
  checkCompletion(c: CompletionCheck): void;
  /** Publishes what is buffered now. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Buffers events for up to `flushMs` and publishes them as one queue message, only for workspaces
 * that have an endpoint (`wanted`), so sending never waits on webhooks and costs nothing without them.
 * While the bus refuses them they are kept (up to MAX_HELD) and tried again every second. What a
 * process held when it died (at most `flushMs` of events in normal operation) the webhook worker's
 * catch-up sweep (sweep.ts) makes again from the store, with the same ids.
 */
export function createWebhookEmitter(deps: {
  bus: Bus;
  logger: Logger;
  /** Whether any enabled endpoint of the workspace wants this event type (a cached answer). */
  wanted(workspaceId: string, type: string): Promise<boolean>;
  /** The same without waiting (true when unknown): changes nobody wants cost no more than this call. */
  mayWant?(workspaceId: string, type: string): boolean;
  flushMs?: number;
}): WebhookEmitter {
  const flushMs = deps.flushMs ?? 50;
  let events: WebhookEvent[] = [];
  let checks: CompletionCheck[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let retryTimer: NodeJS.Timeout | undefined;
  let stopping = false;

  const schedule = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void flush();
    }, flushMs);
  };

  async function publishNow(evs: WebhookEvent[], cks: CompletionCheck[]): Promise<void> {
    const keep: WebhookEvent[] = [];
    for (const e of evs) if (await deps.wanted(e.workspaceId, e.type)) keep.push(e);
    const keepChecks: CompletionCheck[] = [];
    const seen = new Set<string>();
    for (const c of cks) {
      if (seen.has(c.notificationId)) continue;
      seen.add(c.notificationId);
      if (await deps.wanted(c.workspaceId, 'notification.completed')) keepChecks.push(c);
    }
    if (keep.length === 0 && keepChecks.length === 0) return;
    const body: WebhookBatch = { ...(keep.length ? { events: keep } : {}), ...(keepChecks.length ? { checks: keepChecks } : {}) };
    await deps.bus.publish('webhooks', body);
  }

  function flush(): Promise<void> {
    const evs = events;
    const cks = checks;
    events = [];
    checks = [];
    running = running.then(() =>
      publishNow(evs, cks).catch((e) => {
        // The bus is away: keep them (bounded) and try again shortly, rather than drop them.
        const keep = !stopping && events.length + evs.length <= MAX_HELD;
        deps.logger.warn(keep ? 'webhook events not queued yet; trying again' : 'webhook events not queued; dropped', {
          error: (e as Error).message, events: evs.length,
        });
        if (!keep) return;
        events = [...evs, ...events];
        checks = [...cks, ...checks];
        retryTimer ??= setTimeout(() => {
          retryTimer = undefined;
          void flush();
        }, RETRY_MS);
      }),
    );
    return running;
  }

  return {
    listener(changes) {
      const mayWant = deps.mayWant;
      for (const c of changes) {
        const ws = c.message.workspaceId;
        const type = messageEventType(c.message.status);
        const e = type && (!mayWant || mayWant(ws, type)) ? messageEvent(c) : undefined;
        if (e) events.push(e);
        if (c.before !== c.message.status && isFinal(c.message.status) && (!mayWant || mayWant(ws, 'notification.completed'))) {
          checks.push({ workspaceId: ws, notificationId: c.message.notificationId });
        }
      }
      if (events.length >= MAX_BUFFERED) void flush();
      else if (events.length || checks.length) schedule();
    },
    checkCompletion(c) {
      checks.push(c);
      schedule();
    },
    flush,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      clearTimeout(retryTimer);
      timer = retryTimer = undefined;
      await flush();
    },
  };
}
