// Following the consolidated log. Two processes append with seq blocks reserved before their
// inserts, so a line can land a moment after a line with a higher seq: reading strictly after the
// last seq seen would skip it. The follower re-reads the last few seconds' seqs and prints each once.
import type { LogLine } from '../domain/types';
import type { LogQuery } from '../store/store';

const PAGE = 1000;

export interface LogFollowerOptions {
  /** Where following starts (the last seq already shown), if anywhere. */
  afterSeq?: number;
  /** How long a seq stays re-read after it was first seen: the longest a lower-seq line may land late. */
  settleMs?: number;
  clock?: () => number;
}

/** `poll()` resolves the lines not shown yet, in seq order, each once. */
export function createLogFollower(query: (q: LogQuery) => Promise<LogLine[]>, base: Omit<LogQuery, 'afterSeq' | 'limit'>, opts: LogFollowerOptions = {}) {
  const settleMs = opts.settleMs ?? 3_000;
  const clock = opts.clock ?? Date.now;
  /** Everything at or below this seq was seen at least settleMs ago. */
  let settled = opts.afterSeq;
  /** Seqs shown recently (above `settled`), with when they were first seen. */
  const recent = new Map<number, number>();

  return {
    async poll(): Promise<LogLine[]> {
      const now = clock();
      const fresh: LogLine[] = [];
      for (let after = settled; ; ) {
        const page = await query({ ...base, afterSeq: after, limit: PAGE });
        for (const l of page) {
          // Lines read from the store always carry their seq.
          if (l.seq === undefined || recent.has(l.seq)) continue;
          recent.set(l.seq, now);
          fresh.push(l);
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1].seq ?? after;
      }
      for (const [seq, seenAt] of recent) {
        if (now - seenAt < settleMs) continue;
        settled = Math.max(settled ?? seq, seq);
        recent.delete(seq);
      }
      // A seq below `settled` that was still recent stays in `recent` until it ages out too.
      for (const seq of recent.keys()) if (settled !== undefined && seq <= settled) recent.delete(seq);
      return fresh.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    },
  };
}
