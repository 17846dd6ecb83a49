// The HTTP API and dashboard of a serving process (`herald server`, `herald all`'s main thread).
// index.ts loads this file only where it serves: express, the OpenAPI document, the dashboard and
// the routes' schemas are ~12 MB of a thread's live heap, which V8 then sizes its heap at a few
// times (a `herald all` sender thread never serves, and loads none of it).
import type { Server } from 'node:http';
import path from 'node:path';
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus';
import { QUEUES } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { createApp } from '../http/app';
import { latencyFromMetrics } from '../http/dashboard/latency';
import { creditRoutes } from '../http/routes/credits';
import { outboxRoutes } from '../http/routes/outbox';
import { providerRoutes } from '../http/routes/providers';
import { webhookDocs, webhookRouter } from '../http/routes/webhooks';
import type { createRequestTraffic } from '../http/traffic';
import type { Logger } from '../log/logger';
import type { ProviderConfig } from '../providers/types';
import { createImporter } from '../services/campaigns/importer';
import { createCreditAccounts, type createBalanceSignals, type createBalanceWatch, type Metering } from '../services/credits';
import { createDeliveryReports } from '../services/delivery-reports';
import type { ReadinessProbe } from '../services/health';
import type { NotificationService } from '../services/notification-service';
import { createOutboxService } from '../services/outbox';
import { createProviderControlService, type createProviderResolver } from '../services/provider-control';
import type { Store } from '../store/store';
import type { CampaignWiring } from './campaigns';
import { outboxChannels, providerConfigs } from './parts';
import { ProcessRegistry } from './sender-threads';
import type { WebhookWiring } from './webhooks';

export interface ServeDeps {
  config: HeraldConfig;
  store: Store;
  bus: Bus;
  logger: Logger;
  traffic: ReturnType<typeof createRequestTraffic>;
  notifications: NotificationService;
  metering: Metering;
  signals: ReturnType<typeof createBalanceSignals>;
  balanceWatch: ReturnType<typeof createBalanceWatch>;
  webhooks: WebhookWiring;
  campaigns: CampaignWiring;
  readiness: ReadinessProbe;
  /** This thread's own metrics, and what /metrics serves (the sender threads' too). */
  metrics: { own: Registry; exposed: Registry };
  resolver: ReturnType<typeof createProviderResolver>;
  providers: ProviderConfig[];
}

/** Builds the app and listens on config.dispatchPort; resolves with the server and its base URL. */
export async function serveApi(deps: ServeDeps): Promise<{ server: Server; url: string }> {
  const { config, store, bus, logger, metering, balanceWatch, resolver } = deps;
  const { exposed } = deps.metrics;
  const reports = createDeliveryReports({ store, logger, metering });
  const creditAccounts = createCreditAccounts({ store, config, signals: deps.signals });
  const credits = creditRoutes({ store, config, accounts: creditAccounts, watch: balanceWatch });
  const providerControl = createProviderControlService({ store, providers: deps.providers });
  // The dashboard's CSV uploads go through the same importer as POST /v1/imports.
  const importer = createImporter({ store, config, providers: providerConfigs(config, 'sms').map(({ id, type }) => ({ id, type })) });
  const app = createApp({
    store,
    traffic: deps.traffic,
    notifications: deps.notifications,
    config,
    logger,
    accounts: creditAccounts,
    webhookEndpoints: deps.webhooks.endpoints(store),
    extraRoutes: [
      // Keyless: delivery reports are checked by each vendor's signature.
      { path: 'webhooks', access: 'open', router: webhookRouter({ config, logger, reports, provider: (id) => resolver.get(id) }), docs: webhookDocs() },
    ],
    extraSpecs: [
      ...providerRoutes(providerControl),
      ...credits,
      ...deps.campaigns.routes(),
      ...outboxRoutes(createOutboxService({ dataDir: path.resolve(config.dataDir), channels: outboxChannels(config) })),
    ],
    readiness: deps.readiness,
    metrics: exposed,
    dashboard: {
      providers: providerControl,
      balance: balanceWatch,
      queueDepth: async () => Object.fromEntries(await Promise.all(QUEUES.map(async (q) => [q, await bus.depth(q)] as const))),
      providerLatency: exposed instanceof ProcessRegistry ? async () => latencyFromMetrics(await exposed.snapshot())() : latencyFromMetrics(deps.metrics.own),
      campaigns: { service: deps.campaigns.service, importer },
    },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    // Express 5 calls the listen callback with the error (e.g. EADDRINUSE) instead of emitting it.
    const s = app.listen(config.dispatchPort, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.dispatchPort;
  return { server, url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}` };
}
