// Starting Herald inside a test: real store and bus, a config built from explicit values
// (never the developer's environment), and polling helpers for eventual outcomes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { allNames } from '../../src/bus/amqp';
import { loadConfig, type HeraldConfig } from '../../src/config';
import { createMongoStore } from '../../src/store/mongo';
import { startHerald, type RunningHerald, type Role } from '../../src/runtime';
import { AMQP_URL, uniqueMongoUri, uniqueName } from './services';

export type Backend = 'embedded' | 'real';

export function tempDir(prefix = 'herald-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A config on the embedded store and queue in a temp folder, or on MongoDB and RabbitMQ with unique names. */
export function testConfig(backend: Backend, overrides: Record<string, unknown> = {}): HeraldConfig {
  const base: Record<string, unknown> = {
    dispatchPort: 0,
    host: '127.0.0.1',
    'worker.httpPort': 0,
    dataDir: tempDir(),
    seedDemoData: 'never',
    'log.level': 'debug',
    'scheduler.intervalMs': 200,
    'worker.retryBaseMs': 200,
    'worker.retryMaxMs': 1000,
  };
  if (backend === 'real') {
    base.mongodbUri = uniqueMongoUri();
    base.amqpUrl = AMQP_URL;
    base.amqpPrefix = uniqueName('t');
  }
  return loadConfig({}, { ...base, ...overrides });
}

export async function startTestHerald(config: HeraldConfig, role: Role = 'all'): Promise<RunningHerald> {
  return startHerald({ role, config, silent: true, processName: `test-${role}` });
}

/** Removes what an installation left on the shared servers: its queues and exchange, and its database. */
export async function disposeInstallation(amqpUrl: string | undefined, prefix: string, mongodbUri: string | undefined): Promise<void> {
  if (amqpUrl) {
    const conn = await amqp.connect(amqpUrl);
    const ch = await conn.createChannel();
    const { queues, exchanges } = allNames(prefix);
    for (const q of queues) await ch.deleteQueue(q);
    for (const e of exchanges) await ch.deleteExchange(e);
    await conn.close();
  }
  if (mongodbUri) {
    const store = createMongoStore(mongodbUri);
    await store.connect();
    await store.dropDatabase();
    await store.close();
  }
}

/** Stops Herald and removes what the test created on the shared servers. */
export async function disposeTestHerald(herald: RunningHerald | undefined): Promise<void> {
  if (!herald) return;
  await herald.stop();
  const { amqpUrl, amqpPrefix, mongodbUri } = herald.config;
  await disposeInstallation(amqpUrl, amqpPrefix, mongodbUri);
}

/** Polls `check` until it returns a truthy value or the time runs out (then throws with `what`). */
export async function eventually<T>(what: string, check: () => Promise<T> | T, timeoutMs = 15_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
