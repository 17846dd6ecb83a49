// "This workspace's balance changed", broadcast on the bus to every Herald process, at most one
// per workspace per interval (a busy fan-out changes it thousands of times a second).
import type { Bus } from '../../bus/bus';
import type { Logger } from '../../log/logger';

export interface BalanceSignals {
  changed(workspaceId: string): void;
  /** Sends what is still waiting, then stops. */
  stop(): Promise<void>;
}

export function createBalanceSignals(bus: Bus, intervalMs: number, logger: Logger): BalanceSignals {
  const waiting = new Map<string, NodeJS.Timeout>();
  const lastSent = new Map<string, number>();
  let stopped = false;

  const send = (ws: string): Promise<void> => {
    waiting.delete(ws);
    lastSent.set(ws, Date.now());
    // Best effort: a stream that misses a signal still re-reads the balance on its own poll.
    return bus.broadcast('credits', { workspaceId: ws }).catch((e: unknown) => {
      logger.debug('balance signal not sent', { workspaceId: ws, error: (e as Error).message });
    });
  };

  return {
    changed(ws) {
      if (stopped || waiting.has(ws)) return;
      const wait = Math.max(0, (lastSent.get(ws) ?? 0) + intervalMs - Date.now());
      waiting.set(ws, setTimeout(() => void send(ws), wait));
    },
    async stop() {
      stopped = true;
      const left = [...waiting.keys()];
      for (const t of waiting.values()) clearTimeout(t);
      await Promise.all(left.map(send));
    },
  };
}
