// Client webhook wiring for the composition root: the endpoint cache and the emitter every process
// feeds from its store listener, and (in a serving process) the worker that delivers and sweeps.
import { BroadcastChannel } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus';
import type { HeraldConfig } from '../config';
import type { Logger } from '../log/logger';
import {
  createDeliverer, createEndpointCache, createFanOut, createWebhookSweep, createWebhookEmitter, createWebhookEndpoints, createWebhookMetrics, createWebhookPoster,
  type WebhookEndpoints,
} from '../services/webhooks';
import type { Store } from '../store/store';
import { createWebhookWorker, type WebhookWorker } from '../workers/webhooks';

export interface WebhookWiring {
  cache: ReturnType<typeof createEndpointCache>;
  events: ReturnType<typeof createWebhookEmitter>;
  /** Starts delivering (and sweeping for missed changes) in this process. */
  startWorker(store: Store, registry: Registry): Promise<void>;
  endpoints(store: Store): WebhookEndpoints;
  stop(): Promise<void>;
}

export function wireWebhooks(deps: { rawStore: Store; bus: Bus; config: HeraldConfig; logger: Logger }): WebhookWiring {
  const { bus, config, logger } = deps;
  const cache = createEndpointCache(deps.rawStore.webhooks, config.webhooks.endpointCacheMs);
  // An endpoint changed through this thread's API is news for the process's other threads too (`herald
  // all`'s sender threads, where messages end, emit their events): else they miss it for endpointCacheMs.
  let otherThreads: BroadcastChannel | undefined = new BroadcastChannel('herald-webhook-endpoints');
  // Never what keeps a process (or a thread) alive.
  otherThreads.unref();
  otherThreads.onmessage = () => cache.invalidate();
  const endpointsChanged = (): void => {
    cache.invalidate();
    otherThreads?.postMessage('changed');
  };
  // Every status change is seen here once, buffered briefly and queued for the webhook worker.
  const events = createWebhookEmitter({ bus, logger, wanted: cache.wanted, mayWant: cache.mayWantNow, flushMs: config.webhooks.flushMs });
  const poster = createWebhookPoster(config.webhooks);
  let worker: WebhookWorker | undefined;
  return {
    cache,
    events,
    async startWorker(store, registry) {
      const fanOut = createFanOut({ store, cache, retryForMs: config.webhooks.retryForMs });
      worker = createWebhookWorker({
        store, bus, logger, config,
        fanOut,
        sweep: createWebhookSweep({ store, endpoints: cache.enabled, fanOut, lagMs: config.webhooks.sweepLagMs, maxAgeMs: config.webhooks.retentionDays * 86_400_000 }),
        deliverer: createDeliverer({ store, poster, logger, config, metrics: createWebhookMetrics(registry) }),
      });
      await worker.start();
    },
    endpoints: (store) => createWebhookEndpoints({ store, config, onChange: endpointsChanged }),
    async stop() {
      otherThreads?.close();
      otherThreads = undefined;
      await events.stop();
      await worker?.stop();
      await poster.close();
    },
  };
}
