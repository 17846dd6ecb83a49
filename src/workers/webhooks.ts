// The webhook worker: consumes event batches from the `webhooks` queue into durable deliveries, and
// runs due deliveries with a few attempts in flight per endpoint, so a slow or dead endpoint delays
// only its own. Retries are due times in the store: a restarted worker picks them up where they were.
import type { Bus, Consumer } from '../bus/bus';
import type { Logger } from '../log/logger';
import type { FanOut } from '../services/webhooks';
import { isWebhookBatch } from '../services/webhooks';
import type { Store } from '../store/store';
import { withinStoreTimeout } from '../store/call-timeout';
import type { WebhookDelivery } from '../store/store-webhooks';

export interface WebhookWorkerDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** Its store calls bounded (createFanOut's callTimeoutMs): a batch whose fan-out hangs fails, and the bus delivers it again. */
  fanOut: FanOut;
  deliverer: { attempt(d: WebhookDelivery): Promise<unknown> };
  /** Catches up on status changes the live path lost (run every `sweepMs`). */
  sweep?: { run(): Promise<unknown> };
  config: {
    webhooks: { concurrencyPerEndpoint: number; pollMs: number; timeoutMs: number; retentionDays: number; sweepMs?: number };
    /** A store call of a round (or an attempt's records) that has not settled after this fails it (StoreTimeoutError), so rounds go on; 0: no bound. */
    store?: { callTimeoutMs: number };
  };
}

/** Attempts in flight in one process, over every endpoint. */
const MAX_IN_FLIGHT = 200;
/** Endpoints looked at per round. */
const ENDPOINTS_PER_ROUND = 100;
/** Old finished deliveries are deleted this often, this many per statement. */
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_BATCH = 1_000;

export interface WebhookWorker {
  start(): Promise<void>;
  /** Stops taking work and waits for attempts in flight (each ends within the timeout). */
  stop(): Promise<void>;
  /** Attempts in flight now, by endpoint. */
  inFlight(): Map<string, number>;
}

export function createWebhookWorker(deps: WebhookWorkerDeps): WebhookWorker {
  const { store, logger } = deps;
  const { concurrencyPerEndpoint, pollMs, timeoutMs } = deps.config.webhooks;
  // An attempt ends within the timeout; the lease leaves room for recording it. A dead worker's
  // deliveries are due again after it.
  const leaseMs = 2 * timeoutMs + 1_000;
  const callTimeoutMs = deps.config.store?.callTimeoutMs ?? 0;
  const bound = <T>(p: Promise<T>, what: string, ms = callTimeoutMs) => withinStoreTimeout(p, ms, what);
  const busy = new Map<string, number>();
  const running = new Set<Promise<void>>();
  let consumer: Consumer | undefined;
  let stopped = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** News (a delivery added, a slot freed) since the current round began: it may have read before it, so no nap follows. */
  let news = false;
  const nudge = (): void => {
    news = true;
    wake?.();
  };
  let pruneTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> = Promise.resolve();

  function scheduleSweep(): void {
    const sweep = deps.sweep;
    if (!sweep || stopped) return;
    sweepTimer = setTimeout(() => {
      sweeping = sweep
        .run()
        .then(() => undefined)
        .catch((e) => void logger.warn('webhook catch-up sweep failed; next round', { error: (e as Error).message }))
        .finally(() => {
          nudge();
          scheduleSweep();
        });
    }, deps.config.webhooks.sweepMs ?? 5_000);
  }

  async function prune(): Promise<void> {
    const before = new Date(Date.now() - deps.config.webhooks.retentionDays * 86_400_000);
    try {
      let total = 0;
      for (let n = PRUNE_BATCH; n === PRUNE_BATCH && !stopped; total += n) n = await store.webhooks.pruneDeliveries(before, PRUNE_BATCH);
      if (total > 0) logger.info(`deleted ${total} webhook deliveries finished before ${before.toISOString()}`);
    } catch (e) {
      logger.warn('old webhook deliveries not deleted; next hour', { error: (e as Error).message });
    }
  }

  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => ((wake = undefined), resolve()), ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  function run(d: WebhookDelivery): void {
    busy.set(d.endpointId, (busy.get(d.endpointId) ?? 0) + 1);
    // An attempt whose records never settle gives its slot back: its lease keeps the delivery from running twice meanwhile.
    const p = bound(deps.deliverer.attempt(d), 'webhook attempt', callTimeoutMs > 0 ? timeoutMs + callTimeoutMs : 0)
      .then(() => undefined)
      .catch((e) => logger.warn('webhook attempt not recorded (retried when its lease ends)', { deliveryId: d.id, error: (e as Error).message }))
      .finally(() => {
        const n = (busy.get(d.endpointId) ?? 1) - 1;
        if (n <= 0) busy.delete(d.endpointId);
        else busy.set(d.endpointId, n);
        running.delete(p as Promise<void>);
        nudge();
      }) as Promise<void>;
    running.add(p);
  }

  /** One round: claims what free slots allow; resolves how many attempts it started. */
  async function round(): Promise<number> {
    const now = new Date();
    const full = [...busy].filter(([, n]) => n >= concurrencyPerEndpoint).map(([id]) => id);
    const due = await bound(store.webhooks.dueEndpoints(now, ENDPOINTS_PER_ROUND, full), 'webhooks.dueEndpoints');
    let started = 0;
    for (const endpointId of due) {
      const free = Math.min(concurrencyPerEndpoint - (busy.get(endpointId) ?? 0), MAX_IN_FLIGHT - running.size);
      if (free <= 0) continue;
      // A claim that lands after its timeout leases deliveries nobody runs: they are due again when the lease ends.
      const claimed = await bound(store.webhooks.claimDue(endpointId, now, free, new Date(now.getTime() + leaseMs)), 'webhooks.claimDue');
      claimed.forEach(run);
      started += claimed.length;
    }
    return started;
  }

  async function poll(): Promise<void> {
    while (!stopped) {
      let started = 0;
      news = false;
      try {
        started = await round();
      } catch (e) {
        logger.warn('webhook deliveries not read; trying again', { error: (e as Error).message });
      }
      // Only `wake` was heard while napping: news told during the round (wake unset then) would wait a whole pollMs.
      if (!stopped && started === 0 && !news) await nap(pollMs);
    }
  }

  return {
    async start() {
      consumer = await deps.bus.consume(
        'webhooks',
        async (d) => {
          if (!isWebhookBatch(d.body)) return { action: 'dead', reason: 'not a webhook event batch' };
          const added = await deps.fanOut.handle(d.body);
          if (added > 0) nudge();
          return { action: 'ack' };
        },
        { prefetch: 10 },
      );
      loop = poll();
      pruneTimer = setInterval(() => void prune(), PRUNE_EVERY_MS).unref();
      scheduleSweep();
      void prune();
    },
    async stop() {
      stopped = true;
      clearInterval(pruneTimer);
      clearTimeout(sweepTimer);
      wake?.();
      await sweeping;
      await consumer?.cancel();
      await loop;
      await Promise.all([...running]);
    },
    inFlight: () => new Map(busy),
  };
}
