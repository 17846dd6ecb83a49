// Writes usage deltas behind the message writes: changes of the same moment are merged into one
// batch of row increments; a failed batch is kept and tried again, so a store blip loses nothing.
import { mergeUsageDeltas, type UsageDelta } from '../../domain/usage';
import type { Logger } from '../../log/logger';
import type { UsageRepo } from '../../store/store';
import { usageDeltas } from './deltas';
import type { MessageListener } from './observe-messages';

/** Rows kept while the store refuses them; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_ROWS = 200_000;
const RETRY_MS = 1_000;
const LINGER_MS = 100;

export interface UsageRecorder {
  listener: MessageListener;
  /** Resolves once every change seen so far is written (or has failed once more). */
  flush(): Promise<void>;
}

export function createUsageRecorder(repo: UsageRepo, logger: Logger): UsageRecorder {
  let pending: UsageDelta[] = [];
  let writing: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  async function writeAll(): Promise<void> {
    while (pending.length > 0) {
      const batch = mergeUsageDeltas(pending);
      pending = [];
      try {
        await repo.add(batch);
      } catch (e) {
        pending = mergeUsageDeltas([...batch, ...pending]);
        if (pending.length > MAX_PENDING_ROWS) {
          logger.error('usage counters dropped: the store refused them too long', { rows: pending.length - MAX_PENDING_ROWS });
          pending = pending.slice(pending.length - MAX_PENDING_ROWS);
        }
        logger.warn('usage counters not written yet; will try again', { error: (e as Error).message, rows: pending.length });
        retryTimer ??= setTimeout(() => {
          retryTimer = undefined;
          schedule();
        }, RETRY_MS).unref();
        return;
      }
    }
  }

  function schedule(): Promise<void> {
    // The changes of the next LINGER_MS share one write: counters follow a busy worker a moment later, with one round trip instead of one per batch of messages.
    writing ??= new Promise<void>((r) => setTimeout(r, LINGER_MS)).then(writeAll).finally(() => {
      writing = undefined;
    });
    return writing;
  }

  return {
    listener(changes) {
      for (const c of changes) pending.push(...usageDeltas(c));
      if (!retryTimer) void schedule();
    },
    async flush() {
      while (writing) await writing;
      if (pending.length > 0) await schedule();
    },
  };
}
