// Reopens the store connection when MongoDB stayed unreachable for a while: the driver normally
// reconnects by itself, but after a connection cut under load its monitor can stall for good
// (seen with the fault suite's MongoDB outage), leaving the process failing forever.
import type { Logger } from '../log/logger';
import type { Store } from '../store/store';
import { withinStoreTimeout } from '../store/call-timeout';

export interface StoreWatchdogOptions {
  /** Ping period. */
  everyMs?: number;
  /** Consecutive failed pings before the connection is reopened. */
  failuresBeforeReopen?: number;
  /** A ping not answered within this counts as failed (one that never settled stopped the watchdog for good). */
  pingTimeoutMs?: number;
}

export function watchStore(store: Store, logger: Logger, opts: StoreWatchdogOptions = {}): { stop(): Promise<void> } {
  const everyMs = opts.everyMs ?? 2_000;
  const limit = opts.failuresBeforeReopen ?? 3;
  let failures = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function check(): Promise<void> {
    if (await withinStoreTimeout(store.ping(), opts.pingTimeoutMs ?? 5_000, 'ping').catch(() => false)) {
      if (failures >= limit) logger.info('store reachable again');
      failures = 0;
      return;
    }
    failures++;
    if (failures % limit !== 0 || stopped) return;
    logger.warn('store unreachable; reopening its connection', { failedPings: failures });
    // close() drops the models at once, so connect() builds a fresh client even if the old one hangs closing.
    void store.close().catch(() => undefined);
    await store.connect().catch((e: Error) => logger.warn('store still unreachable', { error: e.message }));
  }

  function loop(): void {
    timer = setTimeout(() => {
      running = check().finally(() => {
        running = undefined;
        if (!stopped) loop();
      });
    }, everyMs);
    timer.unref();
  }

  if (store.kind === 'mongo') loop();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
