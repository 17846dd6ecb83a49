// Coalesces the store calls of concurrent deliveries (reads of the message, `sending -> sent`
// writes) into one round trip: the calls made in the same turn of the event loop share one batch.

interface Waiter<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/**
 * `lingerMs` > 0: a batch waits that long for more items (or until `maxBatch`) before it runs.
 * `run` gets the items of one batch and resolves one result per item, in order. Each caller
 * resolves once its own batch is done, or rejects with that batch's error. Batches do not wait
 * for each other: a store call that never returns holds only its own batch, not the next ones.
 */
export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, maxBatch = 500, lingerMs = 0): (item: I) => Promise<O> {
  let pending: Array<Waiter<I, O>> = [];
  let scheduled = false;
  let lingering: NodeJS.Timeout | undefined;

  function flush(): void {
    scheduled = false;
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      void runBatch(run, batch);
    }
  }

  /** The item the executor below takes: set right before `new Promise`, which runs its executor at once.
   *  One executor for the batcher's life, not a closure per call (whose optimized code dies at each full GC). */
  let next: I | undefined;
  function join(resolve: (o: O) => void, reject: (e: unknown) => void): void {
    pending.push({ item: next as I, resolve, reject });
    next = undefined;
    if (scheduled) {
      // A full batch goes at once, whatever the linger.
      if (lingerMs > 0 && pending.length >= maxBatch) {
        clearTimeout(lingering);
        flush();
      }
      return;
    }
    scheduled = true;
    // After this turn of the event loop, so the deliveries arriving together share the call; with a
    // linger, also those arriving in the next few milliseconds (provider answers come one at a time).
    if (lingerMs > 0) lingering = setTimeout(flush, lingerMs);
    else setImmediate(flush);
  }

  return (item) => {
    next = item;
    return new Promise<O>(join);
  };
}

/** One batch's call and its callers settled (a run that throws before its promise rejects them too). */
async function runBatch<I, O>(run: (items: I[]) => Promise<O[]>, batch: Array<Waiter<I, O>>): Promise<void> {
  let out: O[];
  try {
    out = await run(itemsOf(batch));
  } catch (e) {
    return rejectAll(batch, e);
  }
  resolveAll(batch, out);
}

// Module functions, not callbacks made per batch: a short-lived closure's optimized code dies with it at each full GC.
function itemsOf<I, O>(batch: Array<Waiter<I, O>>): I[] {
  const items: I[] = [];
  for (let i = 0; i < batch.length; i++) items.push(batch[i].item);
  return items;
}

function resolveAll<I, O>(batch: Array<Waiter<I, O>>, out: O[]): void {
  for (let i = 0; i < batch.length; i++) batch[i].resolve(out[i]);
}

function rejectAll<I, O>(batch: Array<Waiter<I, O>>, e: unknown): void {
  for (let i = 0; i < batch.length; i++) batch[i].reject(e);
}
