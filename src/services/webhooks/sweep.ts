// The catch-up sweep: message status changes the live path missed (the process that made them died
// before its emitter published them) become the same events, with the same ids, from the store.
// Per workspace that has endpoints wanting message events, it reads messages changed since a stored
// cursor (updatedAt, id), `lagMs` behind now so the live path goes first; a delivery is unique per
// (event, endpoint), so what the live path already recorded is not recorded twice.
import { isFinal } from '../../domain/status';
import type { Message } from '../../domain/types';
import { endpointWants, messageEventType } from '../../domain/webhooks';
import type { Store } from '../../store/store';
import { withinStoreTimeout } from '../../store/call-timeout';
import type { WebhookEndpoint } from '../../store/store-webhooks';
import type { EndpointCache } from './endpoint-cache';
import { createFanOut, type FanOut } from './fan-out';
import { messageEvent, type CompletionCheck, type WebhookEvent } from './events';

export interface WebhookSweep {
  /** One pass over every workspace with endpoints; resolves how many messages it read. */
  run(now?: Date): Promise<number>;
}

/** Messages read per statement, and statements per workspace per pass. */
const BATCH = 500;
const BATCHES_PER_PASS = 20;

const wantsMessages = (e: WebhookEndpoint) => e.events.length === 0 || e.events.some((t) => t.startsWith('message.') || t === 'notification.completed');

/** Every status change in the message's history that clients are told about, as the live path made it. */
export function historyEvents(m: Message): WebhookEvent[] {
  const out: WebhookEvent[] = [];
  const h = m.statusHistory;
  for (let i = 0; i < h.length; i++) {
    const before = i > 0 ? h[i - 1].status : undefined;
    if (before === h[i].status || !messageEventType(h[i].status)) continue;
    // The run of entries with this status that starts here (later notes keep the status).
    let end = i + 1;
    while (end < h.length && h[end].status === h[i].status) end++;
    const e = messageEvent({ before, message: { ...m, status: h[i].status, statusHistory: h.slice(0, end) }, reason: h[i].reason });
    if (e) out.push(e);
  }
  return out;
}

/** The sweep's fan-out: each of its store calls gives up after callTimeoutMs, not the fan-out as a whole. */
export function sweepFanOut(deps: { store: Store; cache: EndpointCache; retryForMs: number; callTimeoutMs: number }): FanOut {
  return createFanOut(deps);
}

export function createWebhookSweep(deps: {
  store: Store;
  /** Enabled endpoints by workspace. */
  endpoints(): Promise<Map<string, WebhookEndpoint[]>>;
  /**
   * Over a store whose calls are each bounded (sweepFanOut): a batch's fan-out is up to 500 completion
   * checks and one write, so one bound on the whole gave up slow passes that were making progress.
   */
  fanOut: FanOut;
  lagMs: number;
  /** Changes older than this (ms) are not told again (their deliveries may have been pruned). */
  maxAgeMs: number;
  /**
   * A store call that has not settled after this fails the pass (StoreTimeoutError), so the next pass runs
   * (config store.callTimeoutMs; 0: no bound). What the call does later is harmless: deliveries are unique
   * per event and endpoint, and a cursor written late only makes a later pass read some changes again.
   */
  callTimeoutMs?: number;
}): WebhookSweep {
  const { store } = deps;
  const bound = <T>(p: Promise<T>, what: string) => withinStoreTimeout(p, deps.callTimeoutMs ?? 0, what);

  async function sweepWorkspace(ws: string, eps: WebhookEndpoint[], now: Date): Promise<number> {
    const floor = new Date(Math.min(...eps.map((e) => e.createdAt.getTime())));
    const stored = await bound(store.webhooks.getSweepCursor(ws), 'webhooks.getSweepCursor');
    let cursor = stored && stored.at >= floor ? stored : { at: floor, id: '' };
    const upTo = new Date(now.getTime() - deps.lagMs);
    const oldest = now.getTime() - deps.maxAgeMs;
    let read = 0;
    for (let b = 0; b < BATCHES_PER_PASS; b++) {
      const msgs = await bound(store.messages.changedSince(ws, cursor, upTo, BATCH), 'messages.changedSince');
      if (msgs.length === 0) break;
      read += msgs.length;
      const events = msgs
        .flatMap(historyEvents)
        .filter((e) => Date.parse(e.timestamp) >= oldest && eps.some((ep) => endpointWants(ep.events, e.type)));
      const checks = new Map<string, CompletionCheck>();
      for (const m of msgs) if (isFinal(m.status)) checks.set(m.notificationId, { workspaceId: ws, notificationId: m.notificationId });
      await deps.fanOut.handle({ events, checks: [...checks.values()] });
      const last = msgs[msgs.length - 1] as Message & { updatedAt: Date };
      cursor = { at: last.updatedAt, id: last.id };
      await bound(store.webhooks.setSweepCursor(ws, cursor), 'webhooks.setSweepCursor');
      if (msgs.length < BATCH) break;
    }
    return read;
  }

  /** Workspaces swept in the last pass: one that no longer wants events has its cursor moved to now, so enabling an endpoint again does not tell what happened while none wanted it. */
  let swept = new Set<string>();

  return {
    async run(now = new Date()) {
      let read = 0;
      const next = new Set<string>();
      for (const [ws, all] of await bound(deps.endpoints(), 'webhook endpoints')) {
        const eps = all.filter(wantsMessages);
        if (!eps.length) continue;
        next.add(ws);
        read += await sweepWorkspace(ws, eps, now);
      }
      for (const ws of swept) if (!next.has(ws)) await bound(store.webhooks.setSweepCursor(ws, { at: new Date(now.getTime() - deps.lagMs), id: '' }), 'webhooks.setSweepCursor');
      swept = next;
      return read;
    },
  };
}
