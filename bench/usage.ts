// Usage API latency at a million messages: counter rows for 1M messages over 30 days (the workspace
// and 50 programs; 2 channels x 2 providers) are written to a store of its own (SQLite file, MongoDB
// database), then GET /v1/usage and its variants are timed. A recipient has no counter rows (its usage
// is counted from its messages): one recipient's share of the messages (1M / 5 000 recipients = 200
// over the last 30 days) is stored among 20 000 messages of others, and its query reads them.
// Alone: `npx tsx bench/usage.ts [--messages 1000000] [--store sqlite|mongo]` (also a phase of `npm run bench`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/http/app';
import { loadConfig } from '../src/config';
import type { MessageStatus } from '../src/domain/types';
import type { UsageDelta } from '../src/domain/usage';
import { createLogger } from '../src/log/logger';
import { createMongoStore, type MongoStore } from '../src/store/mongo';
import { createSqliteStore } from '../src/store/sqlite';
import type { NewMessage, Store } from '../src/store/store';
import { uniqueMongoUri } from '../test/support/services';
import { FakeNotifications } from '../test/integration/http.support';

export interface UsageBenchResult {
  store: 'sqlite' | 'mongo';
  messages: number;
  rows: number;
  /** Messages stored for the recipient query: the recipient's own, then all. */
  recipientMessages?: { own: number; all: number };
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
      }
    }
  }
}

const RECIPIENT = 'u42';
const DAY = 86_400_000;

/**
 * The recipient's share of `messages` (one of USERS) over the 30 days before `now`, among up to 20 000 of
 * other recipients: both channels and providers, a tenth failed, the rest delivered, SMS charged. Stored
 * through the store (createdAt is now: the query's range of creation times holds them all).
 */
function* recipientMessages(messages: number, now: number): Generator<NewMessage[]> {
  const own = Math.max(1, Math.round(messages / USERS));
  const all = own + Math.min(20_000, Math.floor(messages / 50));
  let batch: NewMessage[] = [];
  for (let i = 0; i < all; i++) {
    const at = new Date(now - Math.floor(((i % own) + 0.5) * ((30 * DAY) / own)));
    const sms = i % 2 === 0;
    const provider = sms ? (i % 4 === 0 ? 'twilio' : 'vonage') : i % 4 === 1 ? 'smtp' : 'gmail';
    const end: MessageStatus = i % 10 === 9 ? 'failed' : 'delivered';
    batch.push({
      id: `bench-usage-${i}`, workspaceId: 'default', notificationId: `n${i % 1000}`, programId: `p${i % PROGRAMS}`, eventTypeId: 'e',
      userId: i < own ? RECIPIENT : `x${i % USERS}`, channel: sms ? 'sms' : 'email', to: sms ? '+254700000001' : 'x@example.org',
      content: { text: 'Hello' }, sms: sms ? { encoding: 'GSM-7', segments: 2, parts: ['Hello'] } : undefined, status: end,
      statusHistory: [
        { status: 'accepted', at }, { status: 'queued', at }, { status: 'sending', at, provider },
        { status: end, at: new Date(at.getTime() + 1000), provider },
      ],
      validUntil: new Date(at.getTime() + DAY), attempts: 1, provider, cost: sms ? 200 : undefined,
      ...(end === 'delivered' ? { sentAt: new Date(at.getTime() + 500), deliveredAt: new Date(at.getTime() + 1000) } : {}),
    });
    if (batch.length === 1_000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
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
    const now = Date.now();
    const stored = { own: 0, all: 0 };
    for (const msgs of recipientMessages(opts.messages, now)) {
      await store.messages.insertMany(msgs);
      stored.own += msgs.filter((m) => m.userId === RECIPIENT).length;
      stored.all += msgs.length;
    }
    const writeS = (Date.now() - t0) / 1000;
    opts.say(`  ${rows} counter rows for ${opts.messages} messages, ${stored.own} messages to one recipient among ${stored.all} written in ${writeS.toFixed(1)} s`);
    // The writes above may have let the server start listening already (the SQLite store commits on a later turn).
    if (!server.listening) await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await store.programs.create('default', { id: 'p7', name: 'P7' });
    await store.users.create('default', { id: RECIPIENT, name: 'U42' });
    const month = 'start=2030-01-01&end=2030-01-31';
    // The recipient's messages were accepted over the last 30 days: its 30 days end tomorrow (UTC).
    const tomorrow = Math.floor(now / DAY) * DAY + DAY;
    const lastMonth = `start=${new Date(tomorrow - 30 * DAY).toISOString()}&end=${new Date(tomorrow).toISOString()}`;
    // The recipient's figures are real: its report counts its messages.
    const report = (await (await fetch(`${base}/v1/users/${RECIPIENT}/usage?${lastMonth}&every=1day`)).json()) as { items: Array<{ messages: number }> };
    const counted = report.items.reduce((n, b) => n + b.messages, 0);
    if (counted === 0) throw new Error("the recipient's report counted none of its messages");
    opts.say(`  one recipient's report counts ${counted} of its ${stored.own} messages (accepted over the 30 days before now)`);
    const queries: UsageBenchResult['queries'] = [];
    for (const [name, path] of [
      ['workspace, 30 days by day', `/v1/usage?${month}&every=1day`],
      ['workspace, 30 days by hour (720 buckets)', `/v1/usage?${month}&every=1hour&size=1000`],
      ['workspace, 2021-2031 by day in Europe/Helsinki (page of 1000 of 3652)', `/v1/usage?start=2021-01-01&end=2031-01-01&every=1day&tz=Europe/Helsinki&size=1000&page=4`],
      ['workspace, 2030 by hour (page of 1000 of 8760)', `/v1/usage?start=2030-01-01&end=2031-01-01&every=1hour&size=1000`],
      ['workspace, by day in Europe/Helsinki, sms only', `/v1/usage?${month}&every=1day&tz=Europe/Helsinki&channel=sms`],
      ['one program, 30 days by day', `/v1/programs/p7/usage?${month}&every=1day`],
      ['one recipient, 30 days by day', `/v1/users/${RECIPIENT}/usage?${lastMonth}&every=1day`],
    ] as const) {
      await timeQuery(base + path, 1); // warm-up
      const t = await timeQuery(base + path, runs);
      queries.push({ name, ...t });
      opts.say(`  ${name}: p50 ${t.p50Ms.toFixed(1)} ms, max ${t.maxMs.toFixed(1)} ms`);
    }
    return { store: opts.store, messages: opts.messages, rows, recipientMessages: stored, writeS, queries };
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
  say(`usage API on ${kind}: counters for ${messages} messages (and one recipient's messages), then timed requests`);
  usageBench({ messages, say, store: kind, runs: kind === 'mongo' ? 5 : 20 }).then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
