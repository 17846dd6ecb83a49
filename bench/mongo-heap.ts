// Heap of the Mongo test server (mongo-java-server holds every document whole in its JVM heap) per
// message sent, as Herald stores it through the Store: the message (inserted, claimed, recorded sent)
// and its log line, each measured after a full GC (`jcmd <pid> GC.class_histogram`); and the server's
// CPU for each step. The test server is the bench's Mongo: at 100,000 messages its 2 GB heap fills.
// Run: npx tsx bench/mongo-heap.ts [messages]   (a diagnostic, not part of npm run bench; needs jcmd)
import { execFileSync } from 'node:child_process';
import { uniqueMongoUri } from '../test/support/services';
import { cpuSeconds, servicePids } from './cpu';
import { openBenchDb } from './fixtures';
import type { NewMessage } from '../src/store/store';

const NID = '3db10db3-c101-4427-af36-b53c6a2c7d33';
const BATCH = 25;

function message(i: number, at: Date): NewMessage {
  const user = `f-${String(i).padStart(6, '0')}`;
  const text = `Hi User ${i}, bench notice fanout-http.`;
  return {
    id: `${NID}:${user}:sms`, workspaceId: 'default', notificationId: NID, programId: 'fanout', eventTypeId: 'bench', userId: user, channel: 'sms', to: '+254700000000',
    content: { text }, sms: { encoding: 'GSM-7', segments: 1, parts: [text] },
    status: 'queued', statusHistory: [{ status: 'accepted', at }, { status: 'queued', at }], validUntil: new Date(at.getTime() + 3_600_000), attempts: 0,
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);
  const pid = servicePids().mongo;
  if (!pid) throw new Error('no Mongo server process found');
  const heap = (): number => {
    const out = execFileSync('jcmd', [String(pid), 'GC.class_histogram'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    return Number(/Total\s+\d+\s+(\d+)/.exec(out)?.[1] ?? NaN);
  };
  const db = await openBenchDb(uniqueMongoUri('herald_heap'));
  const { store } = db;
  const at = new Date();
  const ids = Array.from({ length: n }, (_, i) => message(i, at).id);
  const chunks = Array.from({ length: Math.ceil(n / BATCH) }, (_, k) => ids.slice(k * BATCH, (k + 1) * BATCH));
  const rows: Record<string, string> = {};
  let h = heap();
  const step = async (name: string, fn: () => Promise<unknown>) => {
    const c0 = cpuSeconds(pid);
    await fn();
    const cpu = ((cpuSeconds(pid) - c0) * 1e6) / n;
    const h1 = heap();
    rows[name] = `heap ${((h1 - h) / n).toFixed(0)} B, server CPU ${cpu.toFixed(0)} µs (incl. GC) a message`;
    h = h1;
  };
  try {
    await step('insert (queued)', async () => {
      for (let i = 0; i < n; i += 500) await store.messages.insertMany(Array.from({ length: Math.min(500, n - i) }, (_, k) => message(i + k, at)));
    });
    await step(`claim (${BATCH})`, async () => {
      const lease = new Date(Date.now() + 60_000);
      for (const c of chunks) await store.messages.transitionEachReturning(c.map((id) => ({ id, from: ['queued'], to: 'sending', opts: { patch: { provider: 'gateway', leaseUntil: lease }, incrementAttempts: true } })));
    });
    await step(`record sent (${BATCH})`, async () => {
      for (const c of chunks) {
        await store.messages.transitionEach(c.map((id, k) => ({ id, from: ['sending'], to: 'sent', opts: { patch: { provider: 'gateway', providerMessageIds: [`gw-${k}`], sentAt: new Date(), leaseUntil: undefined }, providerStatus: '200' } })));
      }
    });
    await step('log line (100 an append)', async () => {
      for (let i = 0; i < n; i += 100) {
        await store.logs.append(ids.slice(i, i + 100).map((id, k) => ({ time: new Date(), level: 'info', process: 'herald-sms', message: 'message handed to provider', messageId: id, notificationId: NID, workspaceId: 'default', meta: { provider: 'gateway', providerMessageIds: [`gw-${k}`], attempt: 1 } })));
      }
    });
    console.log(`${n} messages`);
    console.table(rows);
  } finally {
    await store.dropDatabase();
    await db.close();
  }
}

void main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
