// Times each store operation Herald's hot path makes, on the bench's Mongo server, with the
// messages collection at a few sizes: which round trips cost, and which grow with the data.
// Run: npx tsx bench/store-probe.ts [maxMessages] [--paged]   (a diagnostic, not part of npm run bench)
import { messageId } from '../src/workers/dispatcher';
import type { NewMessage } from '../src/store/store';
import { uniqueMongoUri } from '../test/support/services';
import { EVENT_TYPE, openBenchDb, type BenchDb } from './fixtures';

async function timed(runs: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e6 / runs;
}

/** Client CPU (this process: mapping, serialising, parsing) per run, in ms. */
async function cpuTimed(runs: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) await fn(i);
  const { user, system } = process.cpuUsage(t0);
  return (user + system) / 1000 / runs;
}

/** Walks every subscriber of the fan-out program in batches of 500, as the dispatcher does. */
async function walkSubscribers(db: BenchDb, expected: number, paged: boolean): Promise<number> {
  let n = 0;
  if (paged) {
    for (let b = await db.store.subscriptions.subscribersAfter('default', 'fanout', EVENT_TYPE, undefined, 500); b.length > 0; ) {
      n += b.length;
      b = await db.store.subscriptions.subscribersAfter('default', 'fanout', EVENT_TYPE, b[b.length - 1].user.id, 500);
    }
  } else {
    for await (const b of db.store.subscriptions.subscriberBatches('default', 'fanout', EVENT_TYPE, undefined, 500)) n += b.length;
  }
  if (n !== expected) throw new Error(`walked ${n} subscribers, expected ${expected}`);
  return n;
}

function message(n: string, user: string, at: Date): NewMessage {
  return {
    id: messageId(n, user, 'sms'), workspaceId: 'default', notificationId: n, programId: 'probe', eventTypeId: EVENT_TYPE, userId: user, channel: 'sms',
    to: '+254700000000', content: { text: 'Hi, bench notice.' }, status: 'queued', statusHistory: [{ status: 'accepted', at }, { status: 'queued', at }],
    validUntil: new Date(at.getTime() + 3_600_000), attempts: 0,
  };
}

async function probe(db: BenchDb, size: number, filled: number): Promise<Record<string, number>> {
  const { store } = db;
  const at = new Date();
  for (let i = filled; i < size; i += 500) {
    await store.messages.insertMany(Array.from({ length: Math.min(500, size - i) }, (_, k) => message('fill', `u${i + k}`, at)));
  }
  const ids = Array.from({ length: 200 }, (_, i) => messageId('fill', `u${Math.floor((i * size) / 200)}`, 'sms'));
  const out: Record<string, number> = {};
  out['messages.get'] = await timed(200, (i) => store.messages.get(ids[i]));
  out['messages.getMany(20)'] = await timed(20, (i) => store.messages.getMany(ids.slice(i * 10, i * 10 + 20)));
  out['messages.transition'] = await timed(200, (i) => store.messages.transition(ids[i], ['queued'], 'sending', { incrementAttempts: true }));
  out['messages.transition back'] = await timed(200, (i) => store.messages.transition(ids[i], ['sending'], 'queued'));
  out['messages.insertMany(500) /msg'] = (await timed(2, (r) => store.messages.insertMany(Array.from({ length: 500 }, (_, k) => message(`new${size}-${r}`, `u${k}`, at))))) / 500;
  out['messages.insertMany(500) client CPU /msg'] = (await cpuTimed(4, (r) => store.messages.insertMany(Array.from({ length: 500 }, (_, k) => message(`cpu${size}-${r}`, `u${k}`, at))))) / 500;
  out['messages.findStale (relay)'] = await timed(5, () => store.messages.findStale(['accepted'], new Date(Date.now() - 10_000), 500));
  out['messages.findExpired (sweeper)'] = await timed(5, () => store.messages.findExpired(['accepted', 'scheduled', 'queued'], new Date(), 500));
  out['notifications.findByStatus'] = await timed(5, () => store.notifications.findByStatus(['accepted'], { updatedBefore: new Date(), limit: 500 }));
  out['logs.append(100) /line'] = (await timed(5, () => store.logs.append(Array.from({ length: 100 }, () => ({ time: new Date(), level: 'info', process: 'probe', message: 'message handed to provider', messageId: 'x', seq: 0 }))))) / 100;
  out['subscribersAfter(500)'] = await timed(5, (i) => store.subscriptions.subscribersAfter('default', 'fanout', EVENT_TYPE, `f-${String(i * 500).padStart(6, '0')}`, 500));
  return out;
}

async function main(): Promise<void> {
  const max = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 100_000);
  const db = await openBenchDb(uniqueMongoUri('herald_probe'));
  try {
    await db.createProgram('fanout');
    await db.subscribe('fanout', 'f', max, 0);
    const sizes = [1_000, Math.round(max / 10), max].filter((s, i, a) => a.indexOf(s) === i);
    let filled = 0;
    const table: Record<string, Record<string, string>> = {};
    for (const size of sizes) {
      for (const [op, msPerOp] of Object.entries(await probe(db, size, filled))) (table[op] ??= {})[`${size} msgs`] = `${msPerOp.toFixed(msPerOp < 1 ? 3 : 2)} ms`;
      filled = size;
    }
    console.log(`subscribers: ${max}`);
    console.table(table);
    // The dispatcher's whole walk; the keyset pages (one server sort each) only with --paged: ~1 min at 100,000.
    const walks: Record<string, Record<string, string>> = {};
    for (const paged of process.argv.includes('--paged') ? [false, true] : [false]) {
      const cpu0 = process.cpuUsage();
      const ms = await timed(1, () => walkSubscribers(db, max, paged));
      const { user, system } = process.cpuUsage(cpu0);
      walks[paged ? 'subscribersAfter pages' : 'subscriberBatches'] = { wall: `${(ms / 1000).toFixed(2)} s`, 'client CPU': `${((user + system) / 1e6).toFixed(2)} s` };
    }
    console.log(`walk of ${max} subscribers, batches of 500:`);
    console.table(walks);
  } finally {
    await db.store.dropDatabase();
    await db.close();
  }
}

void main();
