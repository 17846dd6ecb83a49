// The sender thread's SQLite work, A/B in one process: another checkout's code (A, e.g. main) against
// this one's (B), alternated on the same machine moment: the claim and the record (batches of 25,
// through the usage observer as the worker's store is), the log line stored for each (batches of
// 1,000, as the log sink's 200 ms flushes), and the embedded queue's consuming side (prefetch 100, a
// handler answering after 3 ms). CPU of this thread only (schedstat: not the fsyncs on libuv's pool).
// Each side writes its own file, opened by its own schema (an index change shows), and the claim's and
// the record's WAL frames a message are counted (auto-checkpoints off, the WAL emptied before each step).
//   git archive main | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/node_modules
//   flock /work/bench.lock npx tsx bench/embedded-ab.ts /tmp/base [messages=10000] [rounds=6]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogLine, Message } from '../src/domain/types';
import type { Bus, QueueName } from '../src/bus/bus';
import type { LogRepo, MessageRepo } from '../src/store/store';
import type { Sql } from '../src/store/sqlite/db';
import { observeMessages } from '../src/services/usage/observe-messages';

type Side = { sql: Sql; messages: MessageRepo; logs: LogRepo; bus: (file: string) => Bus };
const cpuUs = (): number => Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
const QUEUE = 'sms' as QueueName;

function side(root: string, file: string): Side {
  const load = (p: string) => require(path.join(root, 'src', p));
  const sql: Sql = new (load('store/sqlite/db').Sql)();
  sql.db = load('store/sqlite/schema').openDatabase(file);
  sql.db!.pragma('wal_autocheckpoint = 0');
  return {
    sql,
    messages: observeMessages(load('store/sqlite/repos-messages').messageRepo(sql), [() => undefined]),
    logs: load('store/sqlite/repos-logs').logRepo(sql),
    bus: (file) => load('bus/embedded').createEmbeddedBus({ file }),
  };
}

async function storeRound(s: Side, tag: string, n: number, put: (k: string, v: number) => void): Promise<void> {
  const at = new Date();
  const msgs = Array.from({ length: n }, (_, i) => ({
    id: `${tag}:u${i}:sms`, workspaceId: 'default', notificationId: tag, programId: 'p', eventTypeId: 'e', userId: `u${i}`, channel: 'sms', to: '+254700000000',
    content: { text: `Hi user ${i}, this is a bench notice about your session.` }, sms: { encoding: 'GSM-7', segments: 1, parts: ['x'] },
    status: 'queued', statusHistory: [{ status: 'accepted', at }, { status: 'queued', at }], validUntil: new Date(at.getTime() + 3_600_000), attempts: 0,
  })) as unknown as Message[];
  for (let k = 0; k < n; k += 500) await s.messages.insertMany(msgs.slice(k, k + 500));
  const read: Message[] = [];
  for (let k = 0; k < n; k += 500) read.push(...(await s.messages.getMany(msgs.slice(k, k + 500).map((m) => m.id))));
  const lease = new Date(Date.now() + 60_000);
  let w = walFrames(s.sql, true);
  let t = cpuUs();
  const claimed: Message[] = [];
  for (let k = 0; k < n; k += 25) {
    const got = await s.messages.transitionEachReturning(read.slice(k, k + 25).map((m) => ({ id: m.id, from: ['queued'], to: 'sending', opts: { patch: { provider: 'p1', leaseUntil: lease }, incrementAttempts: true, expected: m } })));
    claimed.push(...(got as Message[]));
  }
  put('claim', (cpuUs() - t) / n);
  put('claim frames', (walFrames(s.sql) - w) / n);
  w = walFrames(s.sql, true);
  t = cpuUs();
  for (let k = 0; k < n; k += 25) {
    await s.messages.transitionEach(claimed.slice(k, k + 25).map((m) => ({ id: m.id, from: ['sending'], to: 'sent', opts: {
      patch: { provider: 'p1', providerMessageIds: [`gw-${m.id}`], providerStatus: 'ACCEPTED', sentAt: new Date(), error: undefined, leaseUntil: undefined }, providerStatus: 'ACCEPTED', expected: m } })));
  }
  put('record', (cpuUs() - t) / n);
  put('record frames', (walFrames(s.sql) - w) / n);
  const lines: LogLine[] = claimed.map((m) => ({ time: new Date(), level: 'info', process: 'herald-all', message: 'message handed to provider', workspaceId: m.workspaceId, notificationId: m.notificationId, messageId: m.id, meta: { provider: 'p1', providerMessageIds: [`gw-${m.id}`], attempt: 1, channel: 'sms', userId: m.userId } }));
  t = cpuUs();
  for (let k = 0; k < n; k += 1000) await s.logs.append(lines.slice(k, k + 1000));
  put('log line', (cpuUs() - t) / n);
  const sent = (await s.messages.countByStatus(tag)).sent;
  if (sent !== n) throw new Error(`${tag}: ${sent} of ${n} sent`);
}

/** Frames in the WAL (its size over a frame's); `empty`: after emptying it (a TRUNCATE checkpoint, untimed). */
function walFrames(sql: Sql, empty = false): number {
  const db = sql.db!;
  if (empty) db.pragma('wal_checkpoint(TRUNCATE)');
  const frame = (db.pragma('page_size', { simple: true }) as number) + 24;
  return Math.round(Math.max(0, fs.statSync(`${db.name}-wal`).size - 32) / frame);
}

async function queueRound(s: Side, file: string, n: number, put: (k: string, v: number) => void): Promise<void> {
  const bus = s.bus(file);
  await bus.connect();
  for (let k = 0; k < n; k += 500) await Promise.all(Array.from({ length: Math.min(500, n - k) }, (_, i) => bus.publish(QUEUE, { messageId: `m${k + i}` })));
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const t = cpuUs();
  const consumer = await bus.consume(QUEUE, async () => {
    await new Promise((r) => setTimeout(r, 3));
    if (++done === n) finish();
    return { action: 'ack' };
  }, { prefetch: 100 });
  await all;
  await consumer.cancel();
  put('queue consume', (cpuUs() - t) / n);
  if ((await bus.depth(QUEUE)) !== 0) throw new Error('jobs left in the queue');
  await bus.close();
}

async function main(): Promise<void> {
  const base = process.argv[2];
  if (!base) throw new Error('usage: bench/embedded-ab.ts <other checkout> [messages] [rounds]');
  const n = Number(process.argv[3] ?? 10_000);
  const rounds = Number(process.argv[4] ?? 6);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embedded-ab-'));
  const sides = { A: side(path.resolve(base), path.join(dir, 'a.db')), B: side(path.resolve(__dirname, '..'), path.join(dir, 'b.db')) };
  const res = new Map<string, number[]>();
  let seq = 0;
  const once = async (name: 'A' | 'B', counted: boolean) => {
    const put = (k: string, v: number) => counted && res.set(`${k} ${name}`, [...(res.get(`${k} ${name}`) ?? []), v]);
    await storeRound(sides[name], `n${seq}`, n, put);
    await queueRound(sides[name], path.join(dir, `q${seq++}.db`), n, put);
  };
  await once('A', false);
  await once('B', false);
  for (let i = 0; i < rounds; i++) for (const name of i % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) await once(name, true);
  for (const [k, v] of [...res].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...v].sort((a, b) => a - b);
    const [unit, digits] = k.includes('frames') ? ['WAL frames', 2] : ['µs', 1];
    console.log(`${k.padEnd(19)} median ${sorted[sorted.length >> 1].toFixed(digits)} ${unit} a message (min ${sorted[0].toFixed(digits)}) [${v.map((x) => x.toFixed(digits)).join(' ')}]`);
  }
  for (const s of Object.values(sides)) s.sql.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
void main();
