// Composition root: builds the store, bus, providers and workers a process role needs, and
// stops them in the order that loses nothing (stop intake, finish in-flight work, close).
import type { Server } from 'node:http';
import path from 'node:path';
import tty from 'node:tty';
import type { Consumer } from '../bus/bus';
import { runtimeEnv } from '../config';
import { createRequestTraffic } from '../http/traffic';
import { attachStoreSink, createLogger, resolveLogFormat, type StoreLogTransport } from '../log/logger';
import { createProvider } from '../providers/registry';
import type { Provider } from '../providers/types';
import { createNotificationService } from '../services/notifications';
import { ensureDefaultWorkspace } from '../services/tenancy/workspaces';
import { createProviderResolver, seedProviderControl, startControlRefresh } from '../services/provider-control';
import { createBalanceSignals, createBalanceWatch, createMetering, ensureDefaultAccount } from '../services/credits';
import { createDispatcher, eachNotification } from '../workers/dispatcher';
import { createIntake } from '../workers/intake';
import { ProviderRouter } from '../workers/router';
import { createScheduler } from '../workers/scheduler';
import { createSender } from '../workers/sender';
import { createMetrics } from '../services/metrics';
import { createReadinessProbe } from '../services/health';
import { createUsageRecorder, observeStore } from '../services/usage';
import { createCatalogCache } from '../services/catalog-cache';
import { isCampaignJob, wireCampaigns } from './campaigns';
import { createOutcomeFeed, createSheetsExporter, createSheetsFeed, type SheetsExporter } from '../services/sheets';
import { observeNotificationEnds } from '../services/webhooks/observe-notifications';
import { wireWebhooks } from './webhooks';
import { seedDemoData } from './seed';
import { buildProviders, openBus, openStore, outboxChannels, providerConfigs, startCheckpoints, storePaths } from './parts';
import { SenderThreadPool } from './sender-threads';
import { printBanner } from './banner';

export { buildProviders, openBus, openStore, outboxChannels, providerConfigs, storePaths } from './parts';
import type { startOpsServer } from './ops-server';
import { watchStore } from './store-watchdog';

import type { RunningHerald, StartOptions } from './types';
export type { Role, RunningHerald, StartOptions } from './types';

export async function startHerald(opts: StartOptions): Promise<RunningHerald> {
  // `herald all`'s sender threads, planned before the files are opened: their group commits share a lock (store/sqlite/thread-lock.ts).
  const threads = new SenderThreadPool(opts.config, opts.role, [storePaths(opts.config).sqliteFile, storePaths(opts.config).queueFile]);
  try {
    return await start(opts, threads);
  } catch (e) {
    // Started early (their start-up overlaps this thread's), the threads end with a start-up that failed anywhere after.
    await threads.stop();
    throw e;
  }
}

async function start(opts: StartOptions, threads: SenderThreadPool): Promise<RunningHerald> {
  const { config, role } = opts;
  // fd 1 itself: a sender thread's process.stdout is a pipe to the main thread, never a TTY (its lines were JSON among readable ones).
  const terminal = tty.isatty(1);
  const logger = createLogger(opts.processName ?? `herald-${role}`, {
    level: config.log.level,
    silent: opts.silent,
    format: resolveLogFormat(config.log.format, terminal),
    color: terminal && !runtimeEnv().noColor,
    maskPersonalData: config.log.maskPersonalData,
    thread: opts.thread,
  });
  // SQLite's WAL checkpoints on a thread of their own, planned before the files are opened (store/sqlite/checkpoint.ts).
  const checkpoints = startCheckpoints(config, role, logger);
  const rawStore = await openStore(config, logger).catch(async (e: unknown) => {
    await checkpoints.stop();
    throw e;
  });
  // A ping that outlasts the driver's own bounds is hung; a slower one may only be a busy pool (reopening would drop its work).
  const { socketTimeoutMs, serverSelectionTimeoutMs } = config.store.mongo;
  const storeWatchdog = watchStore(rawStore, logger, { pingTimeoutMs: socketTimeoutMs + serverSelectionTimeoutMs });
  let sink: StoreLogTransport | undefined;
  if (config.log.toStore) sink = attachStoreSink(logger, rawStore.logs, config.log.level, config.store.callTimeoutMs);
  const closeStore = async (): Promise<void> => {
    // Lines after this (the program's own through RunningHerald.logger, a reconnect attempt still in flight) go to stdout only:
    // left on the closed store, the sink would try them again every 2 s, forever, and the process would never end.
    if (sink) logger.remove(sink);
    try {
      await sink?.flush();
      await storeWatchdog.stop();
      await rawStore.close();
    } finally {
      await checkpoints.stop();
    }
  };
  // A start-up that fails from here on closes what it opened: a process that goes on (or starts again) finds the files free, and one left with nothing to do exits.
  const bus = await openBus(config, logger, { threads: threads.count > 0 || role === 'senders' }).catch(async (e: unknown) => {
    await closeStore();
    throw e;
  });
  // A sender thread's process and Node.js metrics are its process's, reported by the main thread.
  const metrics = createMetrics({ defaultMetrics: role !== 'senders' });
  // Every message write below goes through this store: usage counters and metrics follow each status change.
  const usage = createUsageRecorder(rawStore.usage, logger);
  // Message outcomes of programs with an outcomes sheet go to the sheets queue.
  const outcomeFeed = createOutcomeFeed({ store: rawStore, bus, logger });
  const webhooks = wireWebhooks({ rawStore, bus, config, logger });
  const { cache: webhookCache, events: webhookEvents } = webhooks;
  const observed = observeStore(rawStore, [usage.listener, metrics.messageListener, outcomeFeed.listener, webhookEvents.listener], logger, {
    // Moves within the pending statuses (accepted -> queued) are reported only while an endpoint asks for them.
    report: (to) => (to === 'queued' || to === 'scheduled') && webhookCache.anyWantsNow(`message.${to}`),
  });
  // Programs and event types cached per process, cleared everywhere on a change (catalog broadcasts).
  const catalog = createCatalogCache(observeNotificationEnds(observed, webhookEvents.checkCompletion), bus, logger);
  const store = catalog.store;
  const signals = createBalanceSignals(bus, config.credits.streamCoalesceMs, logger);
  const metering = createMetering({ store, config, signals, logger });
  const notifications = metrics.instrumentAccept(createNotificationService({ store, bus, config, logger, metering }));
  const campaigns = wireCampaigns({ store, bus, config, logger, metering, smsProviders: providerConfigs(config, 'sms') });
  const consumers: Consumer[] = [];
  const routers: RunningHerald['routers'] = {};
  const providers: Provider[] = [];
  let server: Server | undefined;
  let url: string | undefined;
  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;
  let providersLoaded = false;
  const readiness = createReadinessProbe({ store, bus, providersLoaded: () => providersLoaded && threads.alive() });
  // Queue depths once per process: the main thread's.
  metrics.watch({ routers: () => Object.values(routers), bus: role === 'senders' ? undefined : bus });
  const scheduler = createScheduler({ store, bus, config, logger, metering });
  const senders: Array<ReturnType<typeof createSender>> = [];
  const serves = role === 'server' || role === 'all';
  // This process's HTTP requests: its fan-outs let them go first (workers/yield-gate.ts).
  const traffic = createRequestTraffic();
  let pruneTimer: NodeJS.Timeout | undefined;
  let balanceWatch: ReturnType<typeof createBalanceWatch> | undefined;
  let sheetsFeed: ReturnType<typeof createSheetsFeed> | undefined;
  const allProviderConfigs = [...providerConfigs(config, 'sms'), ...providerConfigs(config, 'email')];
  let sheetsExporter: SheetsExporter | undefined;
  let controlRefresh: ReturnType<typeof startControlRefresh> | undefined;
  let webhookProviders: ReturnType<typeof createProviderResolver> | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info(role === 'senders' ? 'sender thread stopping' : 'herald stopping');
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await ops?.close();
      clearInterval(pruneTimer);
      await scheduler.stop();
      await campaigns.ticker.stop();
      senders.forEach((s) => s.stop());
      // The sender threads finish their sends in flight and close their connections, as this thread's consumers do.
      await Promise.all([...consumers.map((c) => c.cancel()), threads.stop()]);
      await sheetsExporter?.stop();
      sheetsFeed?.close();
      outcomeFeed.close();
      senders.forEach((s) => s.close());
      await webhooks.stop();
      await controlRefresh?.stop();
      await metering.stop();
      await signals.stop();
      await balanceWatch?.close();
      await usage.flush();
      await Promise.all(providers.map((p) => p.close?.()));
      await webhookProviders?.close();
      logger.info(role === 'senders' ? 'sender thread stopped' : 'herald stopped');
      await catalog.stop();
      await bus.close();
      await closeStore();
    })();
    return stopping;
  };

  try {
    await ensureDefaultWorkspace(rawStore);
    await catalog.start();
    // Configured routing state goes to the store once; what operators change there afterwards stays.
    await seedProviderControl(store, allProviderConfigs);
    // The sender threads start up (store, queue, providers) while this thread builds the rest.
    threads.start({ config, processName: opts.processName ?? `herald-${role}`, silent: opts.silent === true, logger, onDeath: (e) => opts.onSenderThreadDeath?.(e) });

    if (serves) {
      if (config.seedDemoData === 'always' || (config.seedDemoData === 'embedded' && store.kind === 'sqlite')) await seedDemoData(store, logger, { onlyIfEmpty: true });
      await ensureDefaultAccount(store, config);
      const dispatcher = createDispatcher({ store, bus, config, logger, metering, traffic });
      const intake = createIntake({ notifications, config, logger });
      // Each dispatched event then goes to the Google Sheets exporter when its program exports: sending never waits for it, and a
      // failed publish fails the delivery, whose redelivery the dispatcher acks at once (already dispatched) before publishing again.
      const feed = (sheetsFeed = createSheetsFeed({ store, bus }));
      const dispatchThenFeed = async (body: unknown) => {
        const { result, notification } = await dispatcher.run(body);
        if (result.action === 'ack') await feed.fromDispatch(body, notification);
        return result;
      };
      // One queue for both fan-outs: a campaign's run carries campaignId, a notification's notificationId.
      // Several at once: the small notifications of a busy stream share their store writes (group commit).
      consumers.push(await bus.consume('dispatch', (d) => (isCampaignJob(d.body) ? campaigns.runner.handle(d.body) : eachNotification(d.body, dispatchThenFeed)), { prefetch: 8 }));
      consumers.push(await bus.consume('events', (d) => intake.handle(d.body, d.headers), { prefetch: 10 }));
      await webhooks.startWorker(store, metrics.registry);
      scheduler.start();
      campaigns.ticker.start();
      // Expired Idempotency-Keys are already ignored at lookup; this only keeps the collection small.
      pruneTimer = setInterval(() => void store.idempotencyKeys.pruneExpired(new Date()).catch(() => undefined), 3_600_000).unref();
    }
    for (const channel of ['sms', 'email'] as const) {
      if (role !== channel && role !== 'senders' && (role !== 'all' || threads.count > 0)) continue;
      const list = buildProviders(config, channel).map((p) => metrics.instrumentProvider(p));
      providers.push(...list);
      const router = new ProviderRouter(list, {
        circuit: { failureThreshold: config.providers.circuitFailures, openMs: config.providers.circuitOpenMs },
        slots: store.providerControl,
        rateGuardMs: config.providers.rateGuardMs,
        logger,
      });
      router.applyControl(await store.providerControl.list());
      routers[channel] = router;
      const sender = createSender({ store, router, channel, config, logger, metering, campaigns: campaigns.gate() });
      senders.push(sender);
      // The sender's limiter bounds messages at once; deliveries are bounded the same, so single-id retries keep up too.
      consumers.push(await bus.consume(channel, (d) => sender.handle(d), { prefetch: config.worker.prefetch }));
    }
    if (role === 'sheets' || role === 'all') {
      sheetsExporter = createSheetsExporter({ store, config, logger });
      consumers.push(await bus.consume('sheets', (d) => sheetsExporter!.handle(d), { prefetch: 200 }));
      sheetsExporter.start();
    }
    controlRefresh = Object.keys(routers).length
      ? startControlRefresh({ store, routers: Object.values(routers), intervalMs: config.providers.refreshMs, logger, callTimeoutMs: config.store.callTimeoutMs })
      : undefined;
    const ctx = { dataDir: path.resolve(config.dataDir), publicUrl: config.publicUrl };
    const resolver = (webhookProviders = createProviderResolver(allProviderConfigs, (c) => createProvider(c, ctx), providers));
    await threads.ready();
    // /metrics: this thread's metrics and the sender threads'.
    const exposed = threads.registry(metrics.registry);
    providersLoaded = true;
    if (serves) {
      balanceWatch = createBalanceWatch({ store, bus, config, logger });
      // Loaded only where it serves: a sender thread's heap holds no express, OpenAPI document or dashboard (serve.ts).
      const { serveApi } = require('./serve') as typeof import('./serve');
      ({ server, url } = await serveApi({
        config, store, bus, logger, traffic, notifications, metering, signals, balanceWatch, webhooks, campaigns, readiness,
        metrics: { own: metrics.registry, exposed }, resolver, providers: allProviderConfigs,
      }));
    }

    if (!serves && role !== 'senders') {
      // A worker role's own port: express, loaded only here (as serve.ts for a serving process).
      ops = await (require('./ops-server') as typeof import('./ops-server')).startOpsServer({ port: config.worker.httpPort ?? 9090, host: config.host, readiness, metrics: metrics.registry, logger });
    }
    const summary = {
      role,
      url,
      opsUrl: ops?.url,
      store: store.kind === 'mongo' ? 'mongodb' : `sqlite ${storePaths(config).sqliteFile}`,
      bus: bus.kind === 'amqp' ? 'rabbitmq' : `embedded ${storePaths(config).queueFile}`,
      // With sender threads, the providers are theirs (the same list).
      providers: (threads.count ? allProviderConfigs : providers).map((p) => `${p.channel}:${p.id} (${p.type})`),
      senderThreads: threads.count || undefined,
      outbox: outboxChannels(config).length ? storePaths(config).outboxDir : undefined,
    };
    if (opts.banner) printBanner(summary);
    logger.info(role === 'senders' ? 'sender thread started' : 'herald started', summary);

    return { config, store, bus, logger, notifications, routers, metrics: exposed, campaigns: { service: campaigns.service, events: campaigns.events }, sheetsExporter, url, opsUrl: ops?.url, stop };
  } catch (e) {
    // Hands back whatever the consumers already took, stops what started, closes the queue and the store.
    await stop().catch((err: unknown) => logger.error('closing after a failed start-up failed', { error: (err as Error).message }));
    throw e;
  }
}
