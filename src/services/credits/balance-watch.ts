// Live balances for Server-Sent Events: one bus subscription per process; each watched workspace
// is re-read when any process signals a change (at most once per coalescing interval) and at
// least every poll period, and its listeners hear the balance only when it changed.
import type { Bus, BroadcastSubscription } from '../../bus/bus';
import { toCredits, type CreditAccount } from '../../domain/credits';
import type { Logger } from '../../log/logger';
import type { Store } from '../../store/store';
import type { CreditsConfig } from './pricing';

export interface BalanceEvent {
  workspaceId: string;
  balance: number | null;
  currencyName: string;
}

type Listener = (e: BalanceEvent) => void;

interface Watched {
  listeners: Set<Listener>;
  last?: string;
  lastReadAt: number;
  /** Reads started, and the newest one whose answer was taken: an older read answering later is dropped. */
  reads: number;
  taken: number;
  timer?: NodeJS.Timeout;
  poll: NodeJS.Timeout;
}

export function balanceEvent(acc: CreditAccount, config: CreditsConfig): BalanceEvent {
  return { workspaceId: acc.workspaceId, balance: acc.balance === null ? null : toCredits(acc.balance), currencyName: config.credits.currencyName };
}

export function createBalanceWatch(deps: { store: Store; bus: Bus; config: CreditsConfig; logger: Logger }) {
  const { store, bus, config, logger } = deps;
  const { streamCoalesceMs, streamPollMs } = config.credits;
  const watched = new Map<string, Watched>();
  let subscription: Promise<BroadcastSubscription> | undefined;

  function schedule(ws: string): void {
    const w = watched.get(ws);
    if (!w || w.timer) return;
    const wait = Math.max(0, w.lastReadAt + streamCoalesceMs - Date.now());
    w.timer = setTimeout(() => {
      w.timer = undefined;
      void read(ws, w);
    }, wait);
  }

  async function read(ws: string, w: Watched): Promise<void> {
    w.lastReadAt = Date.now();
    // A read slower than the coalescing interval overlaps the next one: answers may come back in either order.
    const seq = ++w.reads;
    const acc = await store.credits.get(ws).catch((e: unknown) => {
      logger.debug('live balance: read failed; next signal or poll reads again', { workspaceId: ws, error: (e as Error).message });
      return null;
    });
    if (!acc || seq < w.taken) return;
    w.taken = seq;
    const event = balanceEvent(acc, config);
    const text = JSON.stringify(event);
    if (text === w.last) return;
    w.last = text;
    for (const l of w.listeners) l(event);
  }

  return {
    /** Calls `listener` on every change of the workspace's balance, from any process; resolves the way to stop. */
    async watch(ws: string, listener: Listener, current: BalanceEvent): Promise<() => void> {
      subscription ??= bus.subscribe('credits', (body) => {
        const id = (body as { workspaceId?: unknown } | null)?.workspaceId;
        if (typeof id === 'string') schedule(id);
      }, { onResumed: () => watched.forEach((_w, id) => schedule(id)) });
      // A subscription that failed (bus down) is tried again by the next stream.
      await subscription.catch((e: unknown) => {
        subscription = undefined;
        throw e;
      });
      let w = watched.get(ws);
      if (!w) {
        w = { listeners: new Set(), last: JSON.stringify(current), lastReadAt: Date.now(), reads: 0, taken: 0, poll: setInterval(() => schedule(ws), streamPollMs) };
        watched.set(ws, w);
      }
      w.listeners.add(listener);
      const entry = w;
      return () => {
        entry.listeners.delete(listener);
        if (entry.listeners.size > 0 || watched.get(ws) !== entry) return;
        clearInterval(entry.poll);
        clearTimeout(entry.timer);
        watched.delete(ws);
      };
    },

    async close(): Promise<void> {
      for (const w of watched.values()) {
        clearInterval(w.poll);
        clearTimeout(w.timer);
      }
      watched.clear();
      const sub = await subscription?.catch(() => undefined);
      subscription = undefined;
      await sub?.close();
    },
  };
}

export type BalanceWatch = ReturnType<typeof createBalanceWatch>;
