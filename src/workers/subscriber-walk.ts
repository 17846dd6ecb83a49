// The subscribers a fan-out walks. Fan-outs of the same program and event type that start together
// (a stream of small notifications: 8 dispatched at once) read the first page once: a read already
// under way is shared by a fan-out only if it began after that fan-out did (so it sees every
// subscription made before the notification was accepted). Nothing is kept once a read is answered.
import { performance } from 'node:perf_hooks';
import type { Subscriber } from '../domain/types';
import type { Store } from '../store/store';

export interface SubscriberWalk {
  /** When a fan-out starts handling its notification (before any read it may share). */
  mark(): number;
  /** The walk from `cursor` in batches of `size` (the last one short); `since` from mark(). */
  batches(ws: string, programId: string, eventTypeId: string, cursor: string | undefined, size: number, since: number): AsyncIterable<Subscriber[]>;
}

export function createSubscriberWalk(store: Store): SubscriberWalk {
  const reading = new Map<string, { startedAt: number; page: Promise<Subscriber[]> }>();

  function firstPage(ws: string, programId: string, eventTypeId: string, size: number, since: number): Promise<Subscriber[]> {
    const key = `${ws}\u0000${programId}\u0000${eventTypeId}\u0000${size}`;
    const under = reading.get(key);
    if (under && under.startedAt >= since) return under.page;
    const entry = { startedAt: performance.now(), page: store.subscriptions.subscribersAfter(ws, programId, eventTypeId, undefined, size) };
    reading.set(key, entry);
    const forget = () => {
      if (reading.get(key) === entry) reading.delete(key);
    };
    entry.page.then(forget, forget);
    return entry.page;
  }

  return {
    mark: () => performance.now(),
    async *batches(ws, programId, eventTypeId, cursor, size, since) {
      let after = cursor;
      if (after === undefined) {
        // The same page the walk's first batch would be (subscriberBatches yields what repeated subscribersAfter calls give).
        const first = await firstPage(ws, programId, eventTypeId, size, since);
        if (first.length > 0) yield first;
        if (first.length < size) return;
        after = first[first.length - 1].user.id;
      }
      yield* store.subscriptions.subscriberBatches(ws, programId, eventTypeId, after, size);
    },
  };
}
