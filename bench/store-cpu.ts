// CPU the Mongo server spends per message on each store call of Herald's hot path, in the batch
// sizes the dispatcher and worker use: which calls the server pays for, per message.
// Run: npx tsx bench/store-cpu.ts [messages]   (a diagnostic, not part of npm run bench)
import { uniqueMongoUri } from '../test/support/services';
import { cpuSeconds, servicePids } from './cpu';
import { openBenchDb } from './fixtures';
import type { NewMessage } from '../src/store/store';

const BATCH = 25;

function message(i: number, at: Date): NewMessage {
  return {
    id: `n:u${i}:sms`, workspaceId: 'default', notificationId: 'n', programId: 'p', eventTypeId: 'e', userId: `u${i}`, channel: 'sms', to: '+254700000000',
    content: { text: `Hi user ${i}, this is a bench notice about your session.` }, sms: { encoding: 'GSM-7', segments: 1, parts: ['x'] },
    status: 'accepted', statusHistory: [{ status: 'accepted', at }], validUntil: new Date(at.getTime() + 3_600_000), attempts: 0,
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20_000);
  const mongo = servicePids().mongo;
  if (!mongo) throw new Error('no Mongo server process found');
  const db = await openBenchDb(uniqueMongoUri('herald_cpu'));
  const { store } = db;
  const ids = Array.from({ length: n }, (_, i) => `n:u${i}:sms`);
  const chunks = (size: number) => Array.from({ length: Math.ceil(n / size) }, (_, k) => ids.slice(k * size, (k + 1) * size));
  const at = new Date();
  const rows: Record<string, string> = {};
  const measure = async (name: string, fn: () => Promise<unknown>) => {
    const [c0, p0, t0] = [cpuSeconds(mongo), process.cpuUsage(), Date.now()];
    await fn();
    const p1 = process.cpuUsage(p0);
    rows[name] = `server ${(((cpuSeconds(mongo) - c0) * 1e6) / n).toFixed(0)} µs, client ${((p1.user + p1.system) / n).toFixed(0)} µs, ${((Date.now() - t0) * 1000 / n).toFixed(0)} µs wall /msg`;
  };
  try {
    await measure('insertMany (500)', async () => {
      for (let i = 0; i < n; i += 500) await store.messages.insertMany(Array.from({ length: Math.min(500, n - i) }, (_, k) => message(i + k, at)));
    });
    await measure('transitionMany accepted->queued (500)', async () => {
      for (const c of chunks(500)) await store.messages.transitionMany(c, ['accepted'], 'queued');
    });
    await measure(`getMany (${BATCH})`, async () => {
      for (const c of chunks(BATCH)) await store.messages.getMany(c);
    });
    await measure(`transitionEachReturning claim (${BATCH})`, async () => {
      const lease = new Date(Date.now() + 60_000);
      for (const c of chunks(BATCH)) await store.messages.transitionEachReturning(c.map((id) => ({ id, from: ['queued'], to: 'sending', opts: { patch: { provider: 'p', leaseUntil: lease }, incrementAttempts: true } })));
    });
    await measure(`transitionEach sent (${BATCH})`, async () => {
      for (const c of chunks(BATCH)) await store.messages.transitionEach(c.map((id) => ({ id, from: ['sending'], to: 'sent', opts: { patch: { provider: 'p', providerMessageIds: [`x-${id}`], sentAt: new Date(), leaseUntil: undefined }, providerStatus: '200' } })));
    });
    await measure('logs.append (100)', async () => {
      for (let i = 0; i < n; i += 100) await store.logs.append(Array.from({ length: 100 }, (_, k) => ({ time: new Date(), level: 'info', process: 'probe', message: 'message handed to provider', messageId: ids[i + k] ?? 'x', notificationId: 'n', seq: 0, meta: { provider: 'p', attempt: 1 } })));
    });
    console.log(`${n} messages`);
    console.table(rows);
  } finally {
    await store.dropDatabase();
    await db.close();
  }
}

void main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
