// Group commit: the writes of concurrent callers (requests arriving together) share one store
// write (one transaction, one journal flush, one round trip) and each caller still gets its own
// outcome. A caller's promise settles only once the write that holds its item is durable.

export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface GroupCommitOptions {
  /** Most items in one write. */
  maxBatch?: number;
  /** Writes running at once; while all are busy, new items wait and join the next write. */
  maxInFlight?: number;
  /**
   * Callers answered per turn of the event loop once their write is durable; the rest in the next
   * turns. What a caller does next (an HTTP answer, the next step of a fan-out) runs when it is
   * answered, so a group of hundreds answered at once is one long turn, and Node accepts one new
   * connection per turn: answering in slices lets I/O in between.
   */
  settlePerTurn?: number;
}

interface Waiter<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/**
 * `write` stores the items of one group and resolves one outcome per item, in order (a refused item,
 * e.g. a duplicate key, fails alone); a rejected `write` fails every item of its group.
 * Items are gathered until the end of the current turn of the event loop, or while every
 * write slot is busy.
 */
export function groupCommit<I, O>(write: (items: I[]) => Promise<Array<Outcome<O>>>, opts: GroupCommitOptions = {}): (item: I) => Promise<O> {
  const maxBatch = opts.maxBatch ?? 500;
  const maxInFlight = opts.maxInFlight ?? 2;
  const perTurn = opts.settlePerTurn ?? 16;
  let pending: Array<Waiter<I, O>> = [];
  let scheduled = false;
  let inFlight = 0;

  /** Answers the group's callers `perTurn` at a time, in order, the first slice at once. */
  function settle(group: Array<Waiter<I, O>>, answer: (w: Waiter<I, O>, i: number) => void): void {
    let i = 0;
    const slice = (): void => {
      const end = Math.min(group.length, i + perTurn);
      for (; i < end; i++) answer(group[i], i);
      if (i < group.length) setImmediate(slice);
    };
    slice();
  }

  function flush(): void {
    scheduled = false;
    while (pending.length > 0 && inFlight < maxInFlight) {
      const group = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch);
      pending = group === pending ? [] : pending.slice(group.length);
      inFlight++;
      let settled: Promise<Array<Outcome<O>>>;
      try {
        settled = write(group.map((w) => w.item));
      } catch (e) {
        settled = Promise.reject(e);
      }
      settled
        .then(
          (out) => settle(group, (w, i) => {
            const o = out[i];
            if (!o) w.reject(new Error('group commit: no outcome for an item'));
            else if (o.ok) w.resolve(o.value);
            else w.reject(o.error);
          }),
          (e: unknown) => settle(group, (w) => w.reject(e)),
        )
        .finally(() => {
          inFlight--;
          if (pending.length > 0 && !scheduled) flush();
        });
    }
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (scheduled || inFlight >= maxInFlight) return;
      scheduled = true;
      setImmediate(flush);
    });
}
