// Where a process keeps its files, which providers it runs, and how it opens the store and the bus.
import path from 'node:path';
import type { Bus } from '../bus/bus';
import type { HeraldConfig } from '../config';
import type { Channel } from '../domain/types';
import type { Logger } from '../log/logger';
import { createProvider } from '../providers/registry';
import type { Provider, ProviderConfig } from '../providers/types';
import { checkpointElsewhere, startCheckpointer } from '../store/sqlite/checkpoint';
import type { Store } from '../store/store';
import { connectWithRetry } from './connect';

export function storePaths(config: HeraldConfig): { sqliteFile: string; queueFile: string; outboxDir: string } {
  const dir = path.resolve(config.dataDir);
  return { sqliteFile: path.join(dir, 'herald.db'), queueFile: path.join(dir, 'queue.db'), outboxDir: path.join(dir, 'outbox') };
}

/** The configured providers of a channel, or the outbox when none is configured. */
export function providerConfigs(config: HeraldConfig, channel: Channel): ProviderConfig[] {
  const list = config.providers[channel];
  return list.length ? list : [{ id: `outbox-${channel}`, type: 'outbox', channel, options: {} }];
}

/** The channels whose messages go to the outbox (some instance of type outbox). */
export function outboxChannels(config: HeraldConfig): Channel[] {
  return (['sms', 'email'] as const).filter((c) => providerConfigs(config, c).some((p) => p.type === 'outbox'));
}

export function buildProviders(config: HeraldConfig, channel: Channel): Provider[] {
  const ctx = { dataDir: path.resolve(config.dataDir), publicUrl: config.publicUrl };
  return providerConfigs(config, channel).map((c) => createProvider(c, ctx));
}

/**
 * Only the configured backend's modules are loaded (as the providers are, providers/registry.ts): mongoose with the
 * MongoDB driver and amqplib are ~10 MB of live heap in each thread of an embedded `herald all`, which V8 then sizes
 * its heap at a few times; the SQLite store and queue are small.
 */
function createStore(config: HeraldConfig): Store {
  if (config.mongodbUri) return (require('../store/mongo') as typeof import('../store/mongo')).createMongoStore(config.mongodbUri, config.store.mongo);
  return (require('../store/sqlite') as typeof import('../store/sqlite')).createSqliteStore(storePaths(config).sqliteFile);
}

function createBus(config: HeraldConfig, logger: Logger, threads: boolean | undefined): Bus {
  if (config.amqpUrl) return (require('../bus/amqp') as typeof import('../bus/amqp')).createAmqpBus({ url: config.amqpUrl, prefix: config.amqpPrefix, logger });
  return (require('../bus/embedded') as typeof import('../bus/embedded')).createEmbeddedBus({ file: storePaths(config).queueFile, logger, threads });
}

export async function openStore(config: HeraldConfig, logger: Logger): Promise<Store> {
  const store = createStore(config);
  await connectWithRetry('store', () => store.connect(), logger);
  return store;
}

export async function openBus(config: HeraldConfig, logger: Logger, opts: { threads?: boolean } = {}): Promise<Bus> {
  const bus = createBus(config, logger, opts.threads);
  // One that never connected stops trying (RabbitMQ's reconnect loop) and leaves its thread channel.
  await connectWithRetry('bus', () => bus.connect(), logger).catch(async (e: unknown) => {
    await bus.close().catch(() => undefined);
    throw e;
  });
  return bus;
}

/**
 * The checkpoint thread of a long-running process's SQLite files (store/sqlite/checkpoint.ts): their WAL
 * checkpoints run there, off the event loops. None on MongoDB + RabbitMQ, and none in a sender thread
 * (its process's thread checkpoints the same files). Started before the files are opened.
 */
export function startCheckpoints(config: HeraldConfig, role: string, logger: Logger): { stop(): Promise<void> } {
  const { sqliteFile, queueFile } = storePaths(config);
  const files = [...(config.mongodbUri ? [] : [sqliteFile]), ...(config.amqpUrl ? [] : [queueFile])];
  if (role === 'senders' || !files.length) return { stop: async () => undefined };
  const undo = checkpointElsewhere(files);
  const checkpointer = startCheckpointer(files, {
    onError: (e) => logger.error('sqlite checkpoint thread failed: checkpoints run on the committing threads again, past a larger WAL', { error: e.message }),
    onFileFailed: (file, error) => logger.warn('sqlite checkpoint failed; trying again each round (the WAL stays bounded by the fallback)', { file, error }),
  });
  return {
    async stop() {
      await checkpointer.stop();
      undo();
    },
  };
}
