// MongoDB reads by id of lists that may be long (a campaign batch's contacts, a ledger batch, a worker's
// leases) go by `_id` alone, at most 100 ids a find. On mongo-java-server (the test and bench server) an
// index serves a filter only when its keys are exactly the index's: `{_id: {$in}, workspaceId}` scanned
// every contact for each campaign batch; and a find's cost grows with the square of its list
// (bench/benchmarks-notes.md, "mongo-java-server is not MongoDB"). The finds the server is sent are
// watched here; what the reads answer is the store contract's (store.contract.*.ts, both stores).
import mongoose, { type mongo } from 'mongoose';
import { createMongoStore, type MongoStore } from '../../src/store/mongo';
import type { NewMessage, ReserveItem } from '../../src/store/store';
import { requireServices, uniqueMongoUri } from '../support/services';

type Find = { collection: string; filter: Record<string, unknown> };
const finds: Find[] = [];
let store: MongoStore;

beforeAll(async () => {
  await requireServices(['mongo']);
  // Herald's connection reports the commands it starts (as bench/mongo-monitor.ts does).
  const createConnection = mongoose.createConnection.bind(mongoose);
  jest.spyOn(mongoose, 'createConnection').mockImplementation(((uri: string, opts: mongoose.ConnectOptions) => {
    const conn = createConnection(uri, { ...opts, monitorCommands: true });
    void conn.asPromise().then(
      () =>
        conn.getClient().on('commandStarted', (e: mongo.CommandStartedEvent) => {
          if (e.commandName === 'find') finds.push({ collection: String(e.command.find), filter: (e.command.filter ?? {}) as Record<string, unknown> });
        }),
      () => undefined,
    );
    return conn;
  }) as never);
  store = createMongoStore(uniqueMongoUri('idlists')) as MongoStore;
  await store.connect();
});
afterAll(async () => {
  jest.restoreAllMocks();
  await store?.dropDatabase();
  await store?.close();
});

/** The finds on `collection` by an `_id` list during `run`. */
async function idListFinds(collection: string, run: () => Promise<unknown>): Promise<Find[]> {
  finds.length = 0;
  await run();
  return finds.filter((f) => f.collection === collection && (f.filter._id as { $in?: unknown } | undefined)?.$in !== undefined);
}
const sizes = (fs: Find[]) => fs.map((f) => (f.filter._id as { $in: unknown[] }).$in.length);
const keys = (fs: Find[]) => [...new Set(fs.map((f) => Object.keys(f.filter).join(',')))];

describe('MongoDB reads by long id lists', () => {
  it("a campaign batch's contacts: by _id alone, at most 100 a find", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `2547${String(i).padStart(8, '0')}`);
    await store.campaigns.addContacts('w1', ids.map((id) => ({ id, phone: `+${id}` })));
    await store.contactLists.create({ workspaceId: 'w1', id: 'l1', name: 'a' });
    await store.contactLists.addMembers('w1', 'l1', ids);
    let got: unknown[] = [];
    const fs = await idListFinds('contacts', async () => (got = await store.contactLists.membersAfter('w1', 'l1', undefined, 250)));
    expect(got).toHaveLength(250);
    expect(keys(fs)).toEqual(['_id']);
    expect(sizes(fs).reduce((a, b) => a + b, 0)).toBe(250);
    expect(Math.max(...sizes(fs))).toBeLessThanOrEqual(100);
  });

  it('the credit ledger (reserve again, under a low balance, refund) and the lease renewal: at most 100 a find', async () => {
    await store.credits.open('w1', { balance: 25_000 });
    const items: ReserveItem[] = Array.from({ length: 250 }, (_, i) => ({ messageId: `n1:u${i}:sms`, notificationId: 'n1', cost: 100 }));
    const all: Find[] = [];
    all.push(...(await idListFinds('creditledger', () => store.credits.reserve('w1', items))));
    all.push(...(await idListFinds('creditledger', () => store.credits.reserve('w1', items))));
    all.push(...(await idListFinds('creditledger', () => store.credits.reserve('w1', [...items, { messageId: 'n2:u1:sms', notificationId: 'n2', cost: 100 }]))));
    all.push(...(await idListFinds('creditledger', () => store.credits.refund(items.map((i) => i.messageId)))));
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(keys(all)).toEqual(['_id']);
    expect(Math.max(...sizes(all))).toBeLessThanOrEqual(100);

    const leaseUntil = new Date(Date.now() + 5_000);
    const now = new Date();
    const msgs: NewMessage[] = Array.from({ length: 200 }, (_, i) => ({
      id: `n1:l${i}:sms`, workspaceId: 'w1', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: `l${i}`, channel: 'sms', to: '+254700000001',
      content: { text: 'Hello' }, sms: { encoding: 'GSM-7', segments: 1, parts: ['Hello'] }, status: 'sending', statusHistory: [{ status: 'sending', at: now }],
      validUntil: new Date(now.getTime() + 3_600_000), attempts: 1, leaseUntil,
    }));
    await store.messages.insertMany(msgs);
    let renewed = 0;
    const leases = await idListFinds('messages', async () => (renewed = await store.messages.extendLeases(msgs.map((m) => ({ id: m.id, attempts: 1 })), new Date(now.getTime() + 60_000))));
    expect(renewed).toBe(200);
    expect(keys(leases)).toEqual(['_id']);
    expect(Math.max(...sizes(leases))).toBeLessThanOrEqual(100);
  });
});
