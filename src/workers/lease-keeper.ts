// Keeps the leases of the attempts this worker has under way alive: a short lease renewed every
// third of its length, so a worker that dies (kill -9, power) frees its messages within one lease
// while a slow attempt of a live worker is never taken over.
import type { Logger } from '../log/logger';
import type { Store } from '../store/store';

export interface LeaseKeeper {
  /** From the claim until the outcome is recorded; `attempts` is the claim's (it owns the lease). */
  hold(id: string, attempts: number): void;
  release(id: string): void;
  stop(): void;
}

export function createLeaseKeeper(deps: { store: Store; leaseMs: number; logger: Logger; now?: () => Date }): LeaseKeeper {
  const { store, leaseMs, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const held = new Map<string, number>();
  const everyMs = Math.max(50, Math.floor(leaseMs / 3));
  /** When the renewal under way began (0: none). */
  let renewingSince = 0;
  let failing = false;

  async function renew(): Promise<void> {
    // A renewal not answered within one interval is not waited for: a store call on a cut connection may never
    // settle, and waiting on it would stop every renewal after it (the leases would run out mid-send).
    if ((renewingSince && Date.now() - renewingSince < everyMs) || held.size === 0) return;
    const since = Date.now();
    renewingSince = since;
    try {
      await store.messages.extendLeases([...held].map(([id, attempts]) => ({ id, attempts })), new Date(now().getTime() + leaseMs));
      if (failing) logger.info('message leases renewed again');
      failing = false;
    } catch (e) {
      // Said once: the leases run out and other workers take those messages over (marked possibleDuplicate).
      if (!failing) logger.warn('cannot renew message leases', { error: (e as Error).message, held: held.size });
      failing = true;
    } finally {
      if (renewingSince === since) renewingSince = 0;
    }
  }

  const timer = setInterval(() => void renew(), everyMs);
  timer.unref();
  return {
    hold: (id, attempts) => void held.set(id, attempts),
    release: (id) => void held.delete(id),
    stop: () => clearInterval(timer),
  };
}
