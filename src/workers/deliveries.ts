// How a channel worker takes deliveries: one message id or a dispatcher batch of them, each id
// handled on its own by `handleMessage` (sender.ts) within a bounded number at once, and the
// delivery settled id by id. A message's status is the source of truth; the queue only says "look".
import type { Delivery, HandlerResult, ItemResult, SplitPart } from '../bus/bus';
import type { Logger } from '../log/logger';

/** Most ids one delivery may carry (the dispatcher sends dispatch.messagesPerDelivery, at most 500). */
const MAX_IDS_PER_DELIVERY = 1000;
/** Delay before an id whose handling threw (the store, usually) is tried again. */
const STORE_FAILURE_RETRY_MS = 1_000;
const HANDED_BACK: ItemResult = { action: 'retry', delayMs: 0, reason: 'handed back at shutdown' };
const SAME_IN_PROGRESS: ItemResult = { action: 'retry', delayMs: 1_000, reason: 'same message in progress in this worker' };

export interface DeliveryHandlerOptions {
  /** Messages handled at once up to their provider's answer (worker.prefetch), whatever the deliveries carry. */
  concurrency: number;
  /** Handling of one id that takes longer than this is given up (the delivery handed back). */
  limitMs: number;
  logger: Logger;
}

/**
 * One delivery's ids waiting for their slots, and their results. An id waiting costs nothing but its
 * place in `ids`: the prefetched deliveries hold thousands of ids while `concurrency` are handled, and a
 * promise chain per waiting id (what a limiter call per id made) lived long enough to be copied by
 * every young-generation collection and promoted: most of the worker's surviving heap.
 */
interface Pending {
  ids: string[];
  /** The first id not started yet. */
  next: number;
  results: Array<ItemResult | undefined>;
  /** Ids not settled yet. */
  left: number;
  /** A lone `messageId` delivery: its handling's error is the delivery's (the bus retries it), as before batches. */
  lone: boolean;
  resolve: (results: Array<ItemResult | undefined>) => void;
  reject: (e: unknown) => void;
}

/** One id being handled, until it settles or its time limit gives it up. */
interface Running {
  id: string;
  deadline: number;
  pending: Pending;
  index: number;
  settled: boolean;
  /** Its concurrency slot is free again (given back at `answered` or at the end, whichever came first). */
  freed: boolean;
  /** Answered, not ended yet: counts in the budget of answered-but-unrecorded messages. */
  recording: boolean;
}

/**
 * `handleMessage` holds one of `concurrency` slots from before its read until it calls `answered`
 * (its provider call is over) or ends: recording the outcome (a group commit, ~10 ms) then no longer
 * keeps the next message from starting. The id is still settled (and leaves `busy`) only once its handling has ended.
 * Answered messages still recording are bounded too: no message starts while `concurrency` of them wait for
 * their record (a crash re-sends those, marked possibleDuplicate: at most `concurrency` of them, not all the
 * consumer holds). At most 2 x `concurrency` messages are under way.
 */
export function createDeliveryHandler(handleMessage: (id: string, answered: () => void) => Promise<ItemResult>, opts: DeliveryHandlerOptions) {
  const { logger, concurrency } = opts;
  /** Ids this worker is handling now: a second delivery of one (a republish) is retried instead of racing it. */
  const busy = new Set<string>();
  /** Deliveries with ids not started, in arrival order (ids are started in that order). A provider is chosen
   *  only once a message has its slot, so a pause or an open circuit reaches the backlog. */
  let queue: Array<Pending | undefined> = [];
  let head = 0;
  let active = 0;
  /** Messages answered by their provider whose handling (the record) has not ended. */
  let recording = 0;
  /** Set at shutdown: ids still waiting for a slot are handed back instead of started. */
  let stopping = false;

  function enqueue(ids: string[], lone: boolean): Promise<Array<ItemResult | undefined>> {
    return new Promise((resolve, reject) => {
      queue.push({ ids, next: 0, results: new Array<ItemResult | undefined>(ids.length), left: ids.length, lone, resolve, reject });
      pump();
    });
  }

  /** Starts waiting ids while slots are free (at shutdown: hands them all back). */
  function pump(): void {
    while (head < queue.length && ((active < concurrency && recording < concurrency) || stopping)) {
      const p = queue[head]!;
      const index = p.next++;
      if (p.next === p.ids.length) {
        queue[head++] = undefined;
        if (head === queue.length) {
          queue = [];
          head = 0;
        } else if (head >= 1024) {
          queue = queue.slice(head);
          head = 0;
        }
      }
      start(p, index);
    }
  }

  function start(p: Pending, index: number): void {
    const id = p.ids[index];
    if (stopping) return settle(p, index, HANDED_BACK);
    if (busy.has(id)) return settle(p, index, SAME_IN_PROGRESS);
    busy.add(id);
    active++;
    const r: Running = { id, deadline: Date.now() + opts.limitMs, pending: p, index, settled: false, freed: false, recording: false };
    watch(r);
    void run(r);
  }

  /** An async function and a bound `answered`, not closures made per message: a short-lived closure's
   *  optimized code dies with it at each full GC and is compiled again. */
  async function run(r: Running): Promise<void> {
    let result: ItemResult;
    try {
      result = await handleMessage(r.id, answered.bind(undefined, r));
    } catch (e) {
      return finish(r, e, true);
    }
    finish(r, result);
  }

  /** The provider answered: the id's slot goes to the next waiting id (once), the id now counts as recording. */
  function answered(r: Running): void {
    if (r.freed || r.settled) return;
    r.freed = true;
    r.recording = true;
    active--;
    recording++;
    pump();
  }

  /** The id's handling ended (or was given up): its result is settled and its slot freed if it was not yet. */
  function finish(r: Running, outcome: unknown, threw = false): void {
    if (r.settled) return;
    r.settled = true;
    unwatch(r);
    busy.delete(r.id);
    if (!threw) settle(r.pending, r.index, outcome as ItemResult);
    else if (r.pending.lone) {
      r.pending.left = -1;
      r.pending.reject(outcome);
    } else settle(r.pending, r.index, thrown(r.id, outcome));
    if (r.recording) {
      r.recording = false;
      recording--;
    }
    if (!r.freed) {
      r.freed = true;
      active--;
    }
    pump();
  }

  function settle(p: Pending, index: number, result: ItemResult): void {
    p.results[index] = result;
    if (--p.left === 0) p.resolve(p.results);
  }

  /** A store failure while handling one id of a batch: that id comes back shortly, as a lone delivery would. */
  function thrown(id: string, e: unknown): ItemResult {
    const message = e instanceof Error ? e.message : String(e);
    logger.warn('message handling failed; retrying', { messageId: id, error: message });
    return { action: 'retry', delayMs: STORE_FAILURE_RETRY_MS, reason: `handler threw: ${message}` };
  }

  /** A dispatcher batch: each id handled as if delivered alone; the ones not done go back on their own. */
  async function handleBatch(ids: unknown[]): Promise<HandlerResult> {
    if (ids.length === 0 || ids.length > MAX_IDS_PER_DELIVERY) return { action: 'dead', reason: `messageIds must hold 1 to ${MAX_IDS_PER_DELIVERY} ids` };
    // A bad entry is dead-lettered alone; the good ids of the same delivery still go out.
    // One loop, not filters made per delivery (their optimized code dies at each full GC).
    const bad: unknown[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== 'string' || id === '') bad.push(id);
      else seen.add(id);
    }
    const unique = [...seen];
    const results = unique.length > 0 ? await enqueue(unique, false) : [];
    let parts: SplitPart[] | undefined;
    for (const id of bad) (parts ??= []).push({ body: { messageId: id }, result: { action: 'dead', reason: 'a messageIds entry must be a non-empty string' } });
    for (let i = 0; i < unique.length; i++) {
      const result = results[i]!;
      if (result.action !== 'ack') (parts ??= []).push({ body: { messageId: unique[i] }, result });
    }
    return parts === undefined ? { action: 'ack' } : { action: 'split', parts };
  }

  /** Handlings under way and when each is given up: one sweep for them all, not a timer and a race per message. */
  const watched = new Set<Running>();
  let sweeper: NodeJS.Timeout | undefined;
  const sweepEveryMs = Math.max(10, Math.min(1_000, Math.floor(opts.limitMs / 4)));

  function watch(r: Running): void {
    watched.add(r);
    sweeper ??= setInterval(sweep, sweepEveryMs);
  }

  /** A store call lost when a connection was cut may never settle: after limitMs (and at most a
   *  sweep more) the delivery is handed back rather than held forever (the message's lease keeps a
   *  retry from sending alongside it). */
  function sweep(): void {
    const now = Date.now();
    for (const r of watched) {
      if (now < r.deadline) continue;
      logger.error('message handling did not finish in time; handing the delivery back', { messageId: r.id, limitMs: opts.limitMs });
      finish(r, { action: 'retry', delayMs: 1_000, reason: `handling did not finish within ${opts.limitMs} ms` });
    }
  }

  function unwatch(r: Running): void {
    watched.delete(r);
    if (watched.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  return {
    // Not async: the batch's own promise is the delivery's (no promise adopted through another).
    handle(d: Delivery): Promise<HandlerResult> {
      const body = d.body as { messageId?: unknown; messageIds?: unknown } | null;
      if (Array.isArray(body?.messageIds)) return handleBatch(body.messageIds);
      const id = body?.messageId;
      if (typeof id !== 'string' || id === '') return Promise.resolve({ action: 'dead', reason: 'body has no messageId (nor messageIds)' });
      return enqueue([id], true).then((results) => results[0]!);
    },
    /** Stops starting messages: the sends under way finish, the ones not begun go back to the queue. */
    stop(): void {
      stopping = true;
    },
  };
}
