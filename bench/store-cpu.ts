// CPU the Mongo server spends per message on each store call of Herald's hot path, in the batch
// sizes the dispatcher and worker use: which calls the server pays for, per message.
// Run: npx tsx bench/store-cpu.ts [messages]   (a diagnostic, not part of npm run bench)
import { uniqueMongoUri } from '../test/support/services';
import { cpuSeconds, servicePids } from './cpu';
import { openBenchDb } from './fixtures';
import type { NewMessage } from '../src/store/store';
import { usageDeltas } from '../src/services/usage/deltas';
import { mergeUsageDeltas } from '../src/domain/usage';
import type { Message } from '../src/domain/types';

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
    // The worker's reads hold ~45 ids on average, up to 100 (`npx tsx bench/fanout-commands.ts` prints them).
    for (const size of [BATCH, 100]) {
      await measure(`getMany (${size})`, async () => {
        for (const c of chunks(size)) await store.messages.getMany(c);
      });
    }
    // The worker's claim and record carry the message as read (`expected`): no read-back. The record goes
    // through the usage decorator (observe-messages.ts), which makes a change across usage columns a returning one.
    // Read in chunks: one $in of every id is quadratic on the test server (past the socket timeout at 20,000).
    const read = new Map<string, Message>();
    for (const c of chunks(500)) for (const m of await store.messages.getMany(c)) read.set(m.id, m);
    const claimed = new Map<string, Message>();
    await measure(`transitionEachReturning claim (${BATCH})`, async () => {
      const lease = new Date(Date.now() + 60_000);
      for (const c of chunks(BATCH)) {
        const after = await store.messages.transitionEachReturning(c.map((id) => ({ id, from: ['queued'], to: 'sending', opts: { patch: { provider: 'p', leaseUntil: lease }, incrementAttempts: true, expected: read.get(id) } })));
        for (const m of after) if (m) claimed.set(m.id, m);
      }
    });
    await measure(`transitionEachReturning sent (${BATCH})`, async () => {
      for (const c of chunks(BATCH)) await store.messages.transitionEachReturning(c.map((id) => ({ id, from: ['sending'], to: 'sent', opts: { patch: { provider: 'p', providerMessageIds: [`x-${id}`], providerStatus: '200', sentAt: new Date(), error: undefined, leaseUntil: undefined }, providerStatus: '200', expected: claimed.get(id) } })));
    });
    await measure('logs.append (100)', async () => {
      for (let i = 0; i < n; i += 100) await store.logs.append(Array.from({ length: 100 }, (_, k) => ({ time: new Date(), level: 'info', process: 'probe', message: 'message handed to provider', messageId: ids[i + k] ?? 'x', notificationId: 'n', seq: 0, meta: { provider: 'p', attempt: 1 } })));
    });
    // The usage rows as the recorder writes them (merged per 100 ms): pending +1 per message at fan-out, then pending -1 / sent +1.
    const USAGE_BATCH = 250;
    const sentImage = (i: number): Message => ({ ...message(i, at), status: 'sent', provider: 'p', sentAt: new Date() }) as Message;
    await measure(`usage.add fan-out (${USAGE_BATCH})`, async () => {
      for (let i = 0; i < n; i += USAGE_BATCH) {
        const msgs = Array.from({ length: Math.min(USAGE_BATCH, n - i) }, (_, k) => ({ ...message(i + k, at), status: 'queued' as const }));
        await store.usage.add(mergeUsageDeltas(msgs.flatMap((m) => usageDeltas({ before: undefined, message: m }))));
      }
    });
    await measure(`usage.add sent (${USAGE_BATCH})`, async () => {
      for (let i = 0; i < n; i += USAGE_BATCH) {
        const msgs = Array.from({ length: Math.min(USAGE_BATCH, n - i) }, (_, k) => sentImage(i + k));
        await store.usage.add(mergeUsageDeltas(msgs.flatMap((m) => usageDeltas({ before: 'sending', message: m }))));
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
