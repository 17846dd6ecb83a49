// Client webhook wiring for the composition root: the endpoint cache and the emitter every process
// feeds from its store listener, and (in a serving process) the worker that delivers and sweeps.
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus';
import { joinThreadChannel } from '../bus/thread-channel';
import type { HeraldConfig } from '../config';
import type { Logger } from '../log/logger';
import { createEndpointCache } from '../services/webhooks/endpoint-cache';
import { createWebhookEmitter } from '../services/webhooks/events';
import type { WebhookEndpoints, WebhookPoster } from '../services/webhooks';
import type { Store } from '../store/store';
import type { WebhookWorker } from '../workers/webhooks';

/** The delivering side (worker, sweep, HTTP poster on undici, the endpoints API), loaded only where it runs: a sender thread emits events only. */
const serving = () => ({
  ...(require('../services/webhooks') as typeof import('../services/webhooks')),
  ...(require('../workers/webhooks') as typeof import('../workers/webhooks')),
});

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
  const cache = createEndpointCache(deps.rawStore.webhooks, config.webhooks.endpointCacheMs, config.store.callTimeoutMs);
  // An endpoint changed through this wiring's API is news for the process's other wirings too: those of
  // its other threads (`herald all`'s sender threads, where messages end, emit their events) and of this
  // thread (roles started side by side in one process): else they miss it for endpointCacheMs.
  const others = joinThreadChannel<'changed'>('herald-webhook-endpoints', () => cache.invalidate());
  const endpointsChanged = (): void => {
    cache.invalidate();
    others.post('changed');
  };
  // Every status change is seen here once, buffered briefly and queued for the webhook worker.
  const events = createWebhookEmitter({ bus, logger, wanted: cache.wanted, mayWant: cache.mayWantNow, flushMs: config.webhooks.flushMs });
  let poster: WebhookPoster | undefined;
  let worker: WebhookWorker | undefined;
  return {
    cache,
    events,
    async startWorker(store, registry) {
      const { createDeliverer, createFanOut, createWebhookMetrics, createWebhookPoster, createWebhookSweep, createWebhookWorker, sweepFanOut } = serving();
      poster = createWebhookPoster(config.webhooks);
      // Each store call of a queued batch's fan-out is bounded: a hung store fails the batch, which the bus delivers again.
      const fanOut = createFanOut({ store, cache, retryForMs: config.webhooks.retryForMs, callTimeoutMs: config.store.callTimeoutMs });
      worker = createWebhookWorker({
        store, bus, logger, config,
        fanOut,
        sweep: createWebhookSweep({
          store, endpoints: cache.enabled, fanOut: sweepFanOut({ store, cache, retryForMs: config.webhooks.retryForMs, callTimeoutMs: config.store.callTimeoutMs }), lagMs: config.webhooks.sweepLagMs, maxAgeMs: config.webhooks.retentionDays * 86_400_000, callTimeoutMs: config.store.callTimeoutMs,
        }),
        deliverer: createDeliverer({ store, poster, logger, config, metrics: createWebhookMetrics(registry) }),
      });
      await worker.start();
    },
    endpoints: (store) => serving().createWebhookEndpoints({ store, config, onChange: endpointsChanged }),
    async stop() {
      others.close();
      await events.stop();
      await worker?.stop();
      await poster?.close();
    },
  };
}
