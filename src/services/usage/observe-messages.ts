// A decorator around the message repo that tells listeners about status changes, so counters
// (usage rollups, metrics) follow every write site without a line in the workers.
import { usageColumnOf } from '../../domain/usage';
import type { MessageStatus } from '../../domain/types';
import type { Logger } from '../../log/logger';
import type { MessageRepo, NewMessage } from '../../store/store';

export interface MessageChange {
  /** Status before the change; undefined for a message just inserted. */
  before: MessageStatus | undefined;
  /** The message right after the change. */
  message: NewMessage & { createdAt?: Date };
  reason?: string;
}

export type MessageListener = (changes: MessageChange[]) => void;

type Change = Parameters<MessageRepo['transitionEach']>[0][number];

/** Whether some `from` status counts in another usage column than `to`: then listeners need the record. */
function crossesColumn(from: MessageStatus[], to: MessageStatus): boolean {
  const column = usageColumnOf(to);
  for (let i = 0; i < from.length; i++) if (usageColumnOf(from[i]) !== column) return true;
  return false;
}

/** The status the message left: exact when there is one `from`, else read from its history. */
function previousStatus(from: MessageStatus[], after: { statusHistory: Array<{ status: MessageStatus }> }): MessageStatus {
  if (from.length === 1) return from[0];
  const h = after.statusHistory;
  return h.length >= 2 && from.includes(h[h.length - 2].status) ? h[h.length - 2].status : from[0];
}

function countFound(after: Array<unknown>): number {
  let n = 0;
  for (let i = 0; i < after.length; i++) if (after[i]) n++;
  return n;
}

export interface ObserveOptions {
  /** Batch changes into `to` that stay in one usage column are reported too while this says so (webhooks asking for `message.queued`). */
  report?: (to: MessageStatus) => boolean;
}

/**
 * Every insert and every change that moves a message between usage columns reaches the listeners
 * (batch writes that cross columns are made with their returning variant to know who moved; a batch
 * change within one column, as a claim, is not reported unless `report` asks for its status);
 * single `transition`s are always reported. Listeners run after the write; their failures are logged, never thrown.
 */
export function observeMessages(repo: MessageRepo, listeners: MessageListener[], logger?: Logger, options: ObserveOptions = {}): MessageRepo {
  const loud = (from: MessageStatus[], to: MessageStatus): boolean => crossesColumn(from, to) || (options.report?.(to) ?? false);
  const emit = (changes: MessageChange[]): void => {
    if (changes.length === 0) return;
    for (const l of listeners) {
      try {
        l(changes);
      } catch (e) {
        logger?.warn('message change listener failed', { error: (e as Error).message });
      }
    }
  };

  /** The batch write that tells who moved; the loud moves among them reach the listeners (a worker's claims, `queued -> sending`, do not). */
  const returning = async (changes: Change[]) => {
    const after = await repo.transitionEachReturning(changes);
    let told: MessageChange[] | undefined;
    for (let i = 0; i < after.length; i++) {
      const m = after[i];
      const c = changes[i];
      if (m && loud(c.from, c.to)) (told ??= []).push({ before: previousStatus(c.from, m), message: m, reason: c.opts?.reason });
    }
    if (told) emit(told);
    return after;
  };

  return {
    ...repo,
    async insertMany(msgs) {
      const ids = new Set(await repo.insertMany(msgs));
      const told: MessageChange[] = [];
      for (let i = 0; i < msgs.length; i++) if (ids.has(msgs[i].id)) told.push({ before: undefined, message: msgs[i] });
      emit(told);
      return [...ids];
    },
    async transition(id, from, to, opts) {
      const m = await repo.transition(id, from, to, opts);
      if (m) emit([{ before: previousStatus(from, m), message: m, reason: opts?.reason }]);
      return m;
    },
    async transitionMany(ids, from, to, opts) {
      if (!loud(from, to)) return repo.transitionMany(ids, from, to, opts);
      const changes: Change[] = [];
      for (let i = 0; i < ids.length; i++) changes.push({ id: ids[i], from, to, opts: { reason: opts?.reason, at: opts?.at } });
      const after = await returning(changes);
      return countFound(after);
    },
    async transitionEach(changes) {
      // A loop, not filters made per call: a short-lived closure's optimized code dies with it at each full GC.
      const quiet: Change[] = [];
      const told: Change[] = [];
      for (let i = 0; i < changes.length; i++) (loud(changes[i].from, changes[i].to) ? told : quiet).push(changes[i]);
      const [n, after] = await Promise.all([quiet.length ? repo.transitionEach(quiet) : 0, told.length ? returning(told) : []]);
      return n + countFound(after);
    },
    transitionEachReturning: returning,
  };
}
