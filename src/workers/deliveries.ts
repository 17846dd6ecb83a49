// How a channel worker takes deliveries: one message id or a dispatcher batch of them, each id
// handled on its own by `handleMessage` (sender.ts) within a bounded number at once, and the
// delivery settled id by id. A message's status is the source of truth; the queue only says "look".
import type { Delivery, HandlerResult, ItemResult, SplitPart } from '../bus/bus';
import type { Logger } from '../log/logger';
import { createLimiter } from './limiter';

/** Most ids one delivery may carry (the dispatcher sends dispatch.messagesPerDelivery, at most 500). */
const MAX_IDS_PER_DELIVERY = 1000;
/** Delay before an id whose handling threw (the store, usually) is tried again. */
const STORE_FAILURE_RETRY_MS = 1_000;
const HANDED_BACK: ItemResult = { action: 'retry', delayMs: 0, reason: 'handed back at shutdown' };

export interface DeliveryHandlerOptions {
  /** Messages handled at once up to their provider's answer (worker.prefetch), whatever the deliveries carry. */
  concurrency: number;
  /** Handling of one id that takes longer than this is given up (the delivery handed back). */
  limitMs: number;
  logger: Logger;
}

/**
 * `handleMessage` holds one of `concurrency` slots from before its read until it calls `answered`
 * (its provider call is over) or ends: recording the outcome (a group commit, ~10 ms) then no longer
 * keeps the next message from starting. The id is still settled only once its handling has ended.
 */
export function createDeliveryHandler(handleMessage: (id: string, answered: () => void) => Promise<ItemResult>, opts: DeliveryHandlerOptions) {
  const { logger } = opts;
  /** Ids this worker is handling now: a second delivery of one (a republish) waits instead of racing it. */
  const busy = new Set<string>();
  /** A provider is chosen only once a message has its slot, so a pause or an open circuit reaches the backlog. */
  const slots = createLimiter(opts.concurrency);
  /** Set at shutdown: ids still waiting for a slot are handed back instead of started. */
  let stopping = false;

  /** A dispatcher batch: each id handled as if delivered alone; the ones not done go back on their own. */
  async function handleBatch(ids: unknown[]): Promise<HandlerResult> {
    if (ids.length === 0 || ids.length > MAX_IDS_PER_DELIVERY) return { action: 'dead', reason: `messageIds must hold 1 to ${MAX_IDS_PER_DELIVERY} ids` };
    // A bad entry is dead-lettered alone; the good ids of the same delivery still go out.
    const bad = ids.filter((id) => typeof id !== 'string' || id === '');
    const unique = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id !== ''))];
    const results = await Promise.all(unique.map((id) => handleOne(id).catch((e: unknown): ItemResult => thrown(id, e))));
    const parts: SplitPart[] = [
      ...bad.map((id): SplitPart => ({ body: { messageId: id }, result: { action: 'dead', reason: 'a messageIds entry must be a non-empty string' } })),
      ...results.flatMap((result, i): SplitPart[] => (result.action === 'ack' ? [] : [{ body: { messageId: unique[i] }, result }])),
    ];
    return parts.length === 0 ? { action: 'ack' } : { action: 'split', parts };
  }

  /** A store failure while handling one id of a batch: that id comes back shortly, as a lone delivery would. */
  function thrown(id: string, e: unknown): ItemResult {
    const message = e instanceof Error ? e.message : String(e);
    logger.warn('message handling failed; retrying', { messageId: id, error: message });
    return { action: 'retry', delayMs: STORE_FAILURE_RETRY_MS, reason: `handler threw: ${message}` };
  }

  async function handleOne(id: string): Promise<ItemResult> {
    if (busy.has(id)) return { action: 'retry', delayMs: 1_000, reason: 'same message in progress in this worker' };
    busy.add(id);
    try {
      return await slots((release) => (stopping ? Promise.resolve(HANDED_BACK) : handleInTime(id, release)));
    } finally {
      busy.delete(id);
    }
  }

  /** Handlings under way and when each is given up: one sweep for them all, not a timer and a race per message. */
  const watched = new Set<{ id: string; deadline: number; giveUp: (r: ItemResult) => void }>();
  let sweeper: NodeJS.Timeout | undefined;
  const sweepEveryMs = Math.max(10, Math.min(1_000, Math.floor(opts.limitMs / 4)));

  function sweep(): void {
    const now = Date.now();
    for (const w of watched) {
      if (now < w.deadline) continue;
      unwatch(w);
      logger.error('message handling did not finish in time; handing the delivery back', { messageId: w.id, limitMs: opts.limitMs });
      w.giveUp({ action: 'retry', delayMs: 1_000, reason: `handling did not finish within ${opts.limitMs} ms` });
    }
  }

  function unwatch(w: { id: string; deadline: number; giveUp: (r: ItemResult) => void }): void {
    watched.delete(w);
    if (watched.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  /** A store call lost when a connection was cut may never settle: after limitMs (and at most a
   *  sweep more) the delivery is handed back rather than held forever (the message's lease keeps a
   *  retry from sending alongside it). */
  function handleInTime(id: string, answered: () => void): Promise<ItemResult> {
    return new Promise<ItemResult>((resolve, reject) => {
      const w = { id, deadline: Date.now() + opts.limitMs, giveUp: resolve };
      watched.add(w);
      sweeper ??= setInterval(sweep, sweepEveryMs);
      handleMessage(id, answered).then(
        (r) => {
          unwatch(w);
          resolve(r);
        },
        (e: unknown) => {
          unwatch(w);
          reject(e);
        },
      );
    });
  }

  return {
    async handle(d: Delivery): Promise<HandlerResult> {
      const body = d.body as { messageId?: unknown; messageIds?: unknown } | null;
      if (Array.isArray(body?.messageIds)) return handleBatch(body.messageIds);
      const id = body?.messageId;
      if (typeof id !== 'string' || id === '') return { action: 'dead', reason: 'body has no messageId (nor messageIds)' };
      return handleOne(id);
    },
    /** Stops starting messages: the sends under way finish, the ones not begun go back to the queue. */
    stop(): void {
      stopping = true;
    },
  };
}
