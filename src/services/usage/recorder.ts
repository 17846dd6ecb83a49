// Writes usage deltas behind the message writes: changes of the same moment are merged into one
// batch of row increments; a failed batch is kept and tried again, so a store blip loses nothing.
import { usageColumnOf, usageHourMsOf, usageRowId, type UsageColumn, type UsageDelta, type UsageMessage } from '../../domain/usage';
import type { Logger } from '../../log/logger';
import type { UsageRepo } from '../../store/store';
import { refundsCost, usageDeltas } from './deltas';
import type { MessageChange, MessageListener } from './observe-messages';

/** Rows kept while the store refuses them; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_ROWS = 200_000;
const RETRY_MS = 1_000;
const LINGER_MS = 100;

export interface UsageRecorder {
  listener: MessageListener;
  /** Resolves once every change seen so far is written (or has failed once more). */
  flush(): Promise<void>;
}

/**
 * Everything usageDeltas reads of a change (deltas.ts, domain/usage.ts usageKeysOf, usageHourOf,
 * usageSegmentsOf): changes with the same kind make the same deltas.
 */
function kindOf(c: MessageChange): string {
  const m = c.message as UsageMessage;
  return `${c.before}|${m.status}|${m.workspaceId}|${usageHourMsOf(m)}|${m.channel}|${m.provider}|${m.programId}|${m.campaignId}|${m.sentAt !== undefined}|${m.sms?.segments}|${m.cost}`;
}

/** Whether two changes are of one kind (what kindOf's key says), compared field by field: no key made. */
function sameKind(a: MessageChange, b: MessageChange): boolean {
  const x = a.message as UsageMessage;
  const y = b.message as UsageMessage;
  return (
    a.before === b.before &&
    x.status === y.status &&
    x.workspaceId === y.workspaceId &&
    x.channel === y.channel &&
    x.provider === y.provider &&
    x.programId === y.programId &&
    x.campaignId === y.campaignId &&
    (x.sentAt !== undefined) === (y.sentAt !== undefined) &&
    x.sms?.segments === y.sms?.segments &&
    x.cost === y.cost &&
    usageHourMsOf(x) === usageHourMsOf(y)
  );
}

export function createUsageRecorder(repo: UsageRepo, logger: Logger): UsageRecorder {
  /** Deltas merged by row as they arrive (one object per row, not per change): the next write's rows. */
  let pending = new Map<string, UsageDelta>();
  let writing: Promise<void> | undefined;
  /** A write is due or under way and will look at `pending` again: cleared in the same step as its last look, so no change waits for a wake-up. */
  let draining = false;
  let retryTimer: NodeJS.Timeout | undefined;

  function add(d: UsageDelta): void {
    const id = usageRowId(d);
    const cur = pending.get(id);
    if (!cur) {
      // Deltas are the recorder's own (made per change): the first of a row becomes its pending row.
      pending.set(id, d);
      return;
    }
    for (const c in d.counts) cur.counts[c as UsageColumn] = (cur.counts[c as UsageColumn] ?? 0) + (d.counts[c as UsageColumn] ?? 0);
  }

  function changes(d: UsageDelta): boolean {
    for (const c in d.counts) if (d.counts[c as UsageColumn]) return true;
    return false;
  }

  /** The rows that change something (same sums, fewer writes), taken out of `pending`. */
  function take(): UsageDelta[] {
    const rows: UsageDelta[] = [];
    for (const d of pending.values()) if (changes(d)) rows.push(d);
    pending = new Map();
    return rows;
  }

  async function writeAll(): Promise<void> {
    for (;;) {
      if (pending.size === 0) {
        draining = false;
        return;
      }
      const batch = take();
      try {
        await repo.add(batch);
      } catch (e) {
        // The failed rows go first again (they are the older), merged with what arrived meanwhile.
        const later = pending;
        pending = new Map();
        batch.forEach(add);
        later.forEach(add);
        if (pending.size > MAX_PENDING_ROWS) {
          logger.error('usage counters dropped: the store refused them too long', { rows: pending.size - MAX_PENDING_ROWS });
          let drop = pending.size - MAX_PENDING_ROWS;
          for (const id of pending.keys()) {
            if (drop-- <= 0) break;
            pending.delete(id);
          }
        }
        logger.warn('usage counters not written yet; will try again', { error: (e as Error).message, rows: pending.size });
        draining = false;
        retryTimer ??= setTimeout(() => {
          retryTimer = undefined;
          schedule();
        }, RETRY_MS).unref();
        return;
      }
    }
  }

  function schedule(): Promise<void> {
    if (draining && writing) return writing;
    draining = true;
    // The changes of the next LINGER_MS share one write: counters follow a busy worker a moment later, with one round trip instead of one per batch of messages.
    const w: Promise<void> = (writing ?? Promise.resolve())
      .then(() => new Promise<void>((r) => setTimeout(r, LINGER_MS)))
      .then(writeAll)
      .finally(() => {
        if (writing === w) writing = undefined;
      });
    writing = w;
    return w;
  }

  return {
    listener(changes) {
      if (changes.length === 1) {
        for (const d of usageDeltas(changes[0])) add(d);
      } else {
        // A batch's changes are mostly alike (a fan-out's messages, a worker's records): each kind's deltas are made
        // once and counted n times, so a message costs one key here instead of its rows' deltas and row ids.
        const kinds = new Map<string, { change: MessageChange; n: number }>();
        let last: { change: MessageChange; n: number } | undefined;
        for (const c of changes) {
          // A move within one column that gives nothing back writes nothing (a claim: queued -> sending): no key made.
          if (c.before !== undefined && usageColumnOf(c.before) === usageColumnOf(c.message.status) && !refundsCost(c.before, c.message as UsageMessage)) continue;
          // Most changes of a batch are of the kind of the one before (a worker's records): counted without a key.
          if (last && sameKind(c, last.change)) {
            last.n++;
            continue;
          }
          const k = kindOf(c);
          last = kinds.get(k);
          if (last) last.n++;
          else kinds.set(k, (last = { change: c, n: 1 }));
        }
        for (const { change, n } of kinds.values()) {
          for (const d of usageDeltas(change)) {
            if (n > 1) for (const c in d.counts) d.counts[c as UsageColumn]! *= n;
            add(d);
          }
        }
      }
      if (!retryTimer && !draining) void schedule();
    },
    async flush() {
      while (writing) await writing;
      if (pending.size > 0) await schedule();
    },
  };
}
