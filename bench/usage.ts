// Usage API latency at a million messages: counter rows for 1M messages over 30 days (every
// dimension: workspace, 50 programs, 5 000 recipients; 2 channels x 2 providers) are written to a
// store of its own (SQLite file, MongoDB database), then GET /v1/usage and its variants are timed.
// Alone: `npx tsx bench/usage.ts [--messages 1000000] [--store sqlite|mongo]` (also a phase of `npm run bench`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/http/app';
import { loadConfig } from '../src/config';
import type { UsageDelta } from '../src/domain/usage';
import { createLogger } from '../src/log/logger';
import { createMongoStore, type MongoStore } from '../src/store/mongo';
import { createSqliteStore } from '../src/store/sqlite';
import type { Store } from '../src/store/store';
import { uniqueMongoUri } from '../test/support/services';
import { FakeNotifications } from '../test/integration/http.support';

export interface UsageBenchResult {
  store: 'sqlite' | 'mongo';
  messages: number;
  rows: number;
  writeS: number;
  /** Per query: median and worst of the timed requests, in ms. */
  queries: Array<{ name: string; p50Ms: number; maxMs: number }>;
}

const HOURS = 30 * 24;
const PROGRAMS = 50;
const USERS = 5_000;
const START = Date.UTC(2030, 0, 1);

/** Rows for `messages` messages: spread evenly over hours, channels, providers, programs and users. */
function* rollupRows(messages: number): Generator<UsageDelta> {
  const perHourCombo = Math.floor(messages / (HOURS * 4));
  const split = (n: number) => ({ delivered: n - Math.floor(n / 10), failed: Math.floor(n / 10), segments: n * 2 });
  for (let h = 0; h < HOURS; h++) {
    const hour = new Date(START + h * 3_600_000);
    for (const channel of ['sms', 'email'] as const) {
      for (const provider of channel === 'sms' ? ['twilio', 'vonage'] : ['smtp', 'gmail']) {
        const base = { workspaceId: 'default', hour, channel, provider };
        yield { ...base, dimension: 'workspace', key: '*', counts: split(perHourCombo) };
        for (let p = 0; p < PROGRAMS; p++) yield { ...base, dimension: 'program', key: `p${p}`, counts: split(Math.floor(perHourCombo / PROGRAMS)) };
        // Each hour and combination reaches a slice of the recipients: every user has rows in many hours.
        const users = Math.min(USERS, perHourCombo);
        for (let u = 0; u < users / 20; u++) yield { ...base, dimension: 'user', key: `u${(h * 37 + u) % USERS}`, counts: split(20) };
      }
    }
  }
}

async function timeQuery(url: string, runs: number): Promise<{ p50Ms: number; maxMs: number }> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    await res.json();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50Ms: ms[Math.floor(ms.length / 2)], maxMs: ms[ms.length - 1] };
}

async function openStore(kind: 'sqlite' | 'mongo'): Promise<{ store: Store; dispose: () => Promise<void> }> {
  if (kind === 'mongo') {
    const store = createMongoStore(uniqueMongoUri('herald_bench_usage'));
    await store.connect();
    return { store, dispose: async () => { await (store as MongoStore).dropDatabase().catch(() => undefined); await store.close(); } };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-usage-'));
  const store = createSqliteStore(path.join(dir, 'herald.db'));
  await store.connect();
  return { store, dispose: async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

export async function usageBench(opts: { messages: number; say: (s: string) => void; store: 'sqlite' | 'mongo'; runs?: number }): Promise<UsageBenchResult> {
  const { store, dispose } = await openStore(opts.store);
  const runs = opts.runs ?? 20;
  const server = createApp({ store, notifications: new FakeNotifications(), config: loadConfig({}), logger: createLogger('bench', { silent: true }) }).listen(0, '127.0.0.1');
  try {
    const t0 = Date.now();
    let rows = 0;
    let batch: UsageDelta[] = [];
    for (const row of rollupRows(opts.messages)) {
      batch.push(row);
      if (batch.length === 2_000) {
        await store.usage.add(batch);
        rows += batch.length;
        batch = [];
      }
    }
    await store.usage.add(batch);
    rows += batch.length;
    const writeS = (Date.now() - t0) / 1000;
    opts.say(`  ${rows} counter rows for ${opts.messages} messages written in ${writeS.toFixed(1)} s`);
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await store.programs.create('default', { id: 'p7', name: 'P7' });
    await store.users.create('default', { id: 'u42', name: 'U42' });
    const month = 'start=2030-01-01&end=2030-01-31';
    const queries: UsageBenchResult['queries'] = [];
    for (const [name, path] of [
      ['workspace, 30 days by day', `/v1/usage?${month}&every=1day`],
      ['workspace, 30 days by hour (720 buckets)', `/v1/usage?${month}&every=1hour&size=1000`],
      ['workspace, 2021-2031 by day in Europe/Helsinki (page of 1000 of 3652)', `/v1/usage?start=2021-01-01&end=2031-01-01&every=1day&tz=Europe/Helsinki&size=1000&page=4`],
      ['workspace, 2030 by hour (page of 1000 of 8760)', `/v1/usage?start=2030-01-01&end=2031-01-01&every=1hour&size=1000`],
      ['workspace, by day in Europe/Helsinki, sms only', `/v1/usage?${month}&every=1day&tz=Europe/Helsinki&channel=sms`],
      ['one program, 30 days by day', `/v1/programs/p7/usage?${month}&every=1day`],
      ['one recipient, 30 days by day', `/v1/users/u42/usage?${month}&every=1day`],
    ] as const) {
      await timeQuery(base + path, 1); // warm-up
      const t = await timeQuery(base + path, runs);
      queries.push({ name, ...t });
      opts.say(`  ${name}: p50 ${t.p50Ms.toFixed(1)} ms, max ${t.maxMs.toFixed(1)} ms`);
    }
    return { store: opts.store, messages: opts.messages, rows, writeS, queries };
  } finally {
    server.close();
    await dispose();
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--messages');
  const messages = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
  const j = process.argv.indexOf('--store');
  const kind = j >= 0 ? (process.argv[j + 1] as 'sqlite' | 'mongo') : 'sqlite';
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say(`usage API on ${kind}: counters for ${messages} messages, then timed requests`);
  usageBench({ messages, say, store: kind, runs: kind === 'mongo' ? 5 : 20 }).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
