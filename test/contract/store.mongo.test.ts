// The store contract against MongoDB (the test server, or MONGODB_URI).
import mongoose from 'mongoose';
import { StoreUnavailableError } from '../../src/domain/errors';
import { createMongoStore, type MongoStore } from '../../src/store/mongo';
import { createStore } from '../../src/store';
import type { Store } from '../../src/store/store';
import { requireServices, uniqueMongoUri } from '../support/services';
import { describeStoreContract } from './store.contract';

const uris: string[] = [];

beforeAll(async () => {
  await requireServices(['mongo']);
});

// Each test drops its own database; this catches any a failing test left behind.
afterAll(async () => {
  for (const uri of uris) {
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    await conn.dropDatabase();
    await conn.close();
  }
});

/** A connected store on a database of its own, dropped afterwards (and every write made to fail revived). */
async function withStore(prefix: string, fn: (store: Store, uri: string) => Promise<void>): Promise<void> {
  const uri = uniqueMongoUri(prefix);
  uris.push(uri);
  const store = createMongoStore(uri);
  await store.connect();
  try {
    await fn(store, uri);
  } finally {
    revive();
    await (store as MongoStore).dropDatabase();
    await store.close();
  }
}

type WriteMethod = 'insertMany' | 'insertOne' | 'updateOne';
const collectionProto = mongoose.mongo.Collection.prototype as unknown as Record<WriteMethod, (...args: unknown[]) => unknown>;
const originals = new Map<WriteMethod, (...args: unknown[]) => unknown>();
const dbProto = mongoose.mongo.Db.prototype as unknown as { command: (...args: unknown[]) => unknown };
const originalCommand = dbProto.command;

/**
 * The process dies at this write: the driver's `method` fails on `collection` (throws, or rejects) until revive().
 * `insert` is the raw insert command (src/store/mongo/raw-writes.ts), which goes through `db.command`.
 */
function dieOn(method: WriteMethod | 'insert', collection: string, rejects = false): void {
  if (method === 'insert') {
    dbProto.command = function (this: unknown, ...args: unknown[]) {
      if ((args[0] as { insert?: string }).insert !== collection) return originalCommand.apply(this, args);
      if (rejects) return Promise.reject(new Error('process died'));
      throw new Error('process died');
    };
    return;
  }
  const original = originals.get(method) ?? collectionProto[method];
  originals.set(method, original);
  collectionProto[method] = function (this: { collectionName: string }, ...args: unknown[]) {
    if (this.collectionName !== collection) return original.apply(this, args);
    if (rejects) return Promise.reject(new Error('process died'));
    throw new Error('process died');
  };
}

function revive(): void {
  for (const [method, original] of originals) collectionProto[method] = original;
  originals.clear();
  dbProto.command = originalCommand;
}

describeStoreContract(
  'mongo',
  async () => {
    const uri = uniqueMongoUri('herald_store');
    uris.push(uri);
    const store = createMongoStore(uri);
    await store.connect();
    return store;
  },
  async (store: Store) => {
    await (store as MongoStore).dropDatabase();
    await store.close();
  },
);

describe('MongoDB store', () => {
  it('is chosen by createStore when a URI is given', () => {
    expect(createStore({ mongodbUri: uniqueMongoUri(), sqliteFile: ':memory:' }).kind).toBe('mongo');
  });

  it('fails to connect to an unreachable server with StoreUnavailableError', async () => {
    const store = createMongoStore('mongodb://127.0.0.1:1/herald_nowhere?serverSelectionTimeoutMS=500');
    await expect(store.connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).resolves.toBe(false);
  });

  it('keeps records across a reconnect to the same database', async () => {
    const uri = uniqueMongoUri('herald_store');
    uris.push(uri);
    const first = createMongoStore(uri);
    await first.connect();
    await first.programs.create('default', { id: 'p1', name: 'P' });
    await first.close();
    const second = createMongoStore(uri);
    await second.connect();
    expect(await second.programs.get('default', 'p1')).toMatchObject({ id: 'p1', name: 'P' });
    await second.close();
  });
});

describe('MongoDB store: a reserve cut off between its debit and its ledger entries', () => {
  it('is finished by settlePending: the ledger sums to the balance, each message reserved once', () =>
    withStore('herald_credit_crash', async (store) => {
      await store.credits.open('w', { balance: 1000 });
      const batch = [1, 2, 3].map((n) => ({ messageId: `n1:u${n}:sms`, notificationId: 'n1', cost: 100 }));
      // The process dies right after the debit: its ledger write never happens.
      dieOn('insert', 'creditledger');
      await expect(store.credits.reserve('w', batch)).rejects.toThrow('process died');
      revive();
      expect((await store.credits.get('w'))!.balance).toBe(700);
      expect(await store.credits.ledgerSum('w')).toBe(1000);
      // A batch younger than the grace may still be finishing in its own process: left alone.
      expect(await store.credits.settlePending(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(1);
      expect((await store.credits.get('w'))!.balance).toBe(700);
      expect(await store.credits.ledgerSum('w')).toBe(700);
      const reserves = (await store.credits.ledger('w', { kind: 'reserve' }, { limit: 10, offset: 0 })).items;
      expect(reserves.map((e) => [e.messageId, e.amount, e.state]).sort()).toEqual(batch.map((i) => [i.messageId, -100, 'held']));
      expect(reserves.every((e) => !('batch' in e))).toBe(true);
      // Settling again, or the fan-out resuming the same messages, changes nothing.
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(0);
      expect((await store.credits.reserve('w', batch)).sort()).toEqual(batch.map((i) => i.messageId));
      expect((await store.credits.get('w'))!.balance).toBe(700);
      expect(await store.credits.ledgerSum('w')).toBe(700);
    }));
});

describe('MongoDB store: a reserve whose entries were written in the background, by a process that died meanwhile', () => {
  it('has covered its messages; settlePending writes the entries, once', () =>
    withStore('herald_credit_bg_crash', async (store) => {
      await store.credits.open('w', { balance: 1000 });
      const batch = [1, 2].map((n) => ({ messageId: `n1:u${n}:sms`, notificationId: 'n1', cost: 100 }));
      dieOn('insert', 'creditledger', true);
      let entries: Promise<void> | undefined;
      expect((await store.credits.reserve('w', batch, { background: (p) => void (entries = p) })).sort()).toEqual(batch.map((i) => i.messageId));
      await expect(entries).rejects.toThrow('process died');
      revive();
      expect((await store.credits.get('w'))!.balance).toBe(800);
      expect(await store.credits.ledgerSum('w')).toBe(1000);
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(1);
      expect(await store.credits.ledgerSum('w')).toBe(800);
      expect(await store.credits.reserved('w')).toBe(200);
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(0);
    }));
});

describe('MongoDB store: a reserve batch left by an older version (one object per message)', () => {
  it('is finished by settlePending like a compact one', () =>
    withStore('herald_credit_old_batch', async (store, uri) => {
      const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      try {
        await store.credits.open('w', { balance: 1000 });
        const items = [{ m: 'n1:u1:sms', n: 'n1', cost: 100 }, { m: 'c1:u2:sms', n: 'c1', c: 'c1', cost: 200 }];
        const at = new Date(Date.now() - 120_000);
        await conn.db!.collection('creditaccounts').updateOne({ _id: 'w' as never }, { $inc: { balance: -300 }, $push: { pendingReserves: { id: 'b-old', at, items } } } as never);
        expect(await store.credits.settlePending(new Date(Date.now() - 60_000))).toBe(1);
        expect((await store.credits.get('w'))!.balance).toBe(700);
        expect(await store.credits.ledgerSum('w')).toBe(700);
        const reserves = (await store.credits.ledger('w', { kind: 'reserve' }, { limit: 10, offset: 0 })).items;
        expect(reserves.map((e) => [e.messageId, e.notificationId, e.campaignId, e.amount]).sort()).toEqual([
          ['c1:u2:sms', 'c1', 'c1', -200],
          ['n1:u1:sms', 'n1', undefined, -100],
        ]);
      } finally {
        await conn.close();
      }
    }));
});

describe('MongoDB store: a refund cut off between its ledger entries and its credit', () => {
  it('is credited by settlePending, once', () =>
    withStore('herald_refund_crash', async (store) => {
      await store.credits.open('w', { balance: 1000 });
      const batch = [1, 2].map((n) => ({ messageId: `n1:u${n}:sms`, notificationId: 'n1', cost: 100 }));
      await store.credits.reserve('w', batch);
      // The process dies right after writing the refund entries: the balance is never credited.
      dieOn('updateOne', 'creditaccounts');
      await expect(store.credits.refund(batch.map((i) => i.messageId))).rejects.toThrow('process died');
      revive();
      expect((await store.credits.get('w'))!.balance).toBe(800);
      expect(await store.credits.ledgerSum('w')).toBe(1000);
      // Asked again (the sweeper, another process): the refund is not written twice, and not credited twice.
      expect(await store.credits.refund(batch.map((i) => i.messageId))).toEqual([]);
      expect(await store.credits.settlePending(new Date(Date.now() - 60_000))).toBe(0);
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(1);
      expect((await store.credits.get('w'))!.balance).toBe(1000);
      expect(await store.credits.ledgerSum('w')).toBe(1000);
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(0);
      expect((await store.credits.get('w'))!.balance).toBe(1000);
      const refunds = (await store.credits.ledger('w', { kind: 'refund' }, { limit: 10, offset: 0 })).items;
      expect(refunds.map((e) => [e.messageId, e.amount, e.state]).sort()).toEqual(batch.map((i) => [i.messageId, 100, undefined]));
      expect((await store.credits.ledger('w', { kind: 'reserve' }, { limit: 10, offset: 0 })).items.every((e) => e.state === 'refunded')).toBe(true);
    }));
});

describe('MongoDB store: a top-up cut off between its credit and its ledger entry', () => {
  it('gets its entry from settlePending, once; a replay of it adds nothing', () =>
    withStore('herald_topup_crash', async (store) => {
      await store.credits.open('w', { balance: 1000 });
      dieOn('insertOne', 'creditledger');
      await expect(store.credits.move('w', { id: 'top-up:w:k1', kind: 'top-up', amount: 500, note: 'invoice 7' })).rejects.toThrow('process died');
      revive();
      expect((await store.credits.get('w'))!.balance).toBe(1500);
      expect(await store.credits.ledgerSum('w')).toBe(1000);
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(1);
      expect(await store.credits.ledgerSum('w')).toBe(1500);
      const again = await store.credits.move('w', { id: 'top-up:w:k1', kind: 'top-up', amount: 500, note: 'invoice 7' });
      expect(again).toMatchObject({ replayed: true, entry: { id: 'top-up:w:k1', amount: 500, balanceAfter: 1500, note: 'invoice 7' } });
      expect((await store.credits.get('w'))!.balance).toBe(1500);
      expect(await store.credits.settlePending(new Date(Date.now() + 1))).toBe(0);
      expect(await store.credits.ledgerSum('w')).toBe(1500);
    }));
});

describe('MongoDB store: a database from before workspaces', () => {
  it('moves every record to the default workspace at connect and lets other workspaces reuse the ids', async () => {
    const uri = uniqueMongoUri('herald_v1');
    uris.push(uri);
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    const db = conn.db!;
    const t = new Date('2020-01-01T00:00:00.000Z');
    await db.collection('programs').insertOne({ _id: '1' as never, name: 'Old program', createdAt: t, updatedAt: t });
    await db.collection('eventtypes').insertOne({ programId: '1', id: '1', name: 'Old event', templates: {}, createdAt: t, updatedAt: t });
    await db.collection('eventtypes').createIndex({ programId: 1, id: 1 }, { unique: true });
    await db.collection('users').insertOne({ _id: 'amina' as never, name: 'Amina', phone: '+254700000001', createdAt: t, updatedAt: t });
    await db.collection('subscriptions').insertOne({ _id: 's1' as never, userId: 'amina', programId: '1', scope: '*', channels: ['sms'], createdAt: t, updatedAt: t });
    await db.collection('subscriptions').createIndex({ userId: 1, programId: 1, scope: 1 }, { unique: true });
    await db.collection('notifications').insertOne({
      _id: 'n1' as never, programId: '1', eventTypeId: '1', startTime: t, validUntil: t, data: {}, status: 'dispatched', source: 'legacy',
      dispatch: { messages: 0 }, createdAt: t, updatedAt: t,
    });
    await conn.close();

    const store = createMongoStore(uri);
    await store.connect();
    expect(await store.programs.get('default', '1')).toMatchObject({ workspaceId: 'default', id: '1', name: 'Old program' });
    expect(await store.eventTypes.get('default', '1', '1')).toMatchObject({ workspaceId: 'default', name: 'Old event' });
    expect(await store.users.get('default', 'amina')).toMatchObject({ id: 'amina', phone: '+254700000001' });
    expect(await store.notifications.get('n1')).toMatchObject({ workspaceId: 'default' });
    expect((await store.notifications.list({ workspaceId: 'default' }, { limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.subscriptions.subscribersAfter('default', '1', '1', undefined, 10)).map((x) => x.user.id)).toEqual(['amina']);
    // The old unique indexes are gone: the same ids live in another workspace.
    await store.programs.create('other', { id: '1', name: 'Same id elsewhere' });
    await store.eventTypes.create('other', { programId: '1', id: '1', name: 'E', templates: {} });
    await store.users.create('other', { id: 'amina', name: 'Another Amina' });
    await store.subscriptions.create('other', { id: 's1', userId: 'amina', programId: '1', channels: ['sms'] });
    expect(await store.programs.get('default', '1')).toMatchObject({ name: 'Old program' });
    expect((await store.programs.list('default', { limit: 10, offset: 0 })).total).toBe(1);
    await store.close();
  });
});

describe('MongoDB store: a message stored before history entries were arrays', () => {
  it('reads its object entries and full parts, and moves on with entries of the new form after them', () =>
    withStore('herald_msg_v1', async (store, uri) => {
      const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      const t = new Date('2026-01-01T00:00:00.000Z');
      await conn.db!.collection('messages').insertOne({
        _id: 'n1:u1:sms' as never, workspaceId: 'default', notificationId: 'n1', programId: 'p', eventTypeId: 'e', userId: 'u1', channel: 'sms', to: '+254700000001',
        content: { text: 'Hi' }, sms: { encoding: 'GSM-7', segments: 1, parts: ['Hi'] }, status: 'queued',
        statusHistory: [{ status: 'accepted', at: t }, { status: 'queued', at: t, reason: 'relay' }], attempts: 0, createdAt: t, updatedAt: t,
      });
      await conn.close();
      const claimed = await store.messages.transition('n1:u1:sms', ['queued'], 'sending', { patch: { provider: 'gw' }, incrementAttempts: true });
      expect(claimed).toMatchObject({ status: 'sending', attempts: 1, sms: { parts: ['Hi'] } });
      await store.messages.noteProviderStatus('n1:u1:sms', { providerStatus: 'accepted', provider: 'gw', reason: 'callback' });
      const m = await store.messages.get('n1:u1:sms');
      expect(m!.statusHistory).toEqual([
        { status: 'accepted', at: t },
        { status: 'queued', at: t, reason: 'relay' },
        { status: 'sending', at: expect.any(Date), provider: 'gw' },
        { status: 'sending', at: expect.any(Date), reason: 'callback', provider: 'gw', providerStatus: 'accepted' },
      ]);
      expect(m!.content).toEqual({ text: 'Hi' });
      expect(m!.sms).toEqual({ encoding: 'GSM-7', segments: 1, parts: ['Hi'] });
    }));
});

describe('MongoDB store: log lines from before a line\'s _id was its seq', () => {
  it('drops the old unique seq index at connect, reads the old lines and numbers new ones after them', async () => {
    const uri = uniqueMongoUri('herald_logs_v1');
    uris.push(uri);
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    const logs = conn.db!.collection('logs');
    const t = new Date('2026-01-01T00:00:00.000Z');
    await logs.insertMany([1, 2].map((seq) => ({ seq, time: t, level: 'info', levelRank: 2, process: 'old', message: `old ${seq}`, workspaceId: 'default' })));
    await logs.createIndex({ seq: 1 }, { unique: true });
    await conn.db!.collection('counters').insertOne({ _id: 'logs' as never, seq: 2 });
    await conn.close();

    const store = createMongoStore(uri);
    await store.connect();
    try {
      await store.logs.append([{ time: new Date(), level: 'warn', process: 'new', message: 'new 3', workspaceId: 'default' }]);
      const lines = await store.logs.query({ limit: 10 });
      expect(lines.map((l) => [l.seq, l.message])).toEqual([[1, 'old 1'], [2, 'old 2'], [3, 'new 3']]);
      expect((await store.logs.query({ limit: 10, level: 'warn' })).map((l) => l.message)).toEqual(['new 3']);
      const check = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      const seqIndex = (await check.db!.collection('logs').listIndexes().toArray()).find((ix) => ix.name === 'seq_1');
      await check.close();
      expect(seqIndex?.unique).not.toBe(true);
    } finally {
      await (store as MongoStore).dropDatabase();
      await store.close();
    }
  });
});

describe('MongoDB store: a database from before recipients were counted from their messages', () => {
  it("loses its recipient counter rows at connect, keeps the others, and gets the messages' recipient index", async () => {
    const uri = uniqueMongoUri('herald_usage_v1');
    uris.push(uri);
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    const hour = new Date('2030-01-01T10:00:00.000Z');
    const row = (dimension: string, key: string, sent: number) => ({
      _id: `default|${hour.getTime()}|${dimension}|${key}|sms|twilio` as never, workspaceId: 'default', hour, dimension, key, channel: 'sms', provider: 'twilio', sent,
    });
    await conn.db!.collection('usagerollups').insertMany([row('workspace', '*', 3), row('user', 'u1', 2), row('user', 'u2', 1)]);
    await conn.close();

    const store = createMongoStore(uri);
    await store.connect();
    try {
      const q = { workspaceId: 'default', from: hour, to: new Date(hour.getTime() + 3_600_000) };
      expect((await store.usage.hourly({ ...q, dimension: 'workspace', key: '*' })).map((h) => h.counts.sent)).toEqual([3]);
      const check = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      expect(await check.db!.collection('usagerollups').countDocuments({ dimension: 'user' })).toBe(0);
      const indexes = (await check.db!.collection('messages').listIndexes().toArray()).map((ix) => ix.name);
      await check.close();
      expect(indexes).toContain('workspaceId_1_userId_1_createdAt_1');
    } finally {
      await (store as MongoStore).dropDatabase();
      await store.close();
    }
  });
});

describe("MongoDB store: a database with the credit ledger's old sweeper index", () => {
  it('gets the index with `settled` in its key at connect, and loses the old one (charged entries keep state held)', async () => {
    const uri = uniqueMongoUri('herald_ledger_ix');
    uris.push(uri);
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    await conn.db!.collection('creditledger').createIndex({ state: 1, createdAt: 1 });
    await conn.close();

    const store = createMongoStore(uri);
    await store.connect();
    try {
      await store.credits.open('w', { balance: 1000 });
      await store.credits.reserve('w', [{ messageId: 'n1:u1:sms', notificationId: 'n1', cost: 100 }]);
      expect(await store.credits.charge(['n1:u1:sms'])).toBe(1);
      expect(await store.credits.findHeld(new Date(Date.now() + 1), 10)).toEqual([]);
      const check = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
      const indexes = (await check.db!.collection('creditledger').listIndexes().toArray()).map((ix) => ix.name);
      await check.close();
      expect(indexes).toContain('state_1_settled_1_createdAt_1');
      expect(indexes).not.toContain('state_1_createdAt_1');
    } finally {
      await (store as MongoStore).dropDatabase();
      await store.close();
    }
  });
});

describe('MongoDB store: a lease renewal that lost its attempt while it ran', () => {
  it("leaves the lease of the attempt that took the message over as that attempt set it (no third worker can take it while it sends)", () =>
    withStore('herald_lease_race', async (store) => {
      const start = Date.now();
      await store.messages.insertMany([
        { id: 'n1:u1:sms', workspaceId: 'default', notificationId: 'n1', programId: 'p', eventTypeId: 'e', userId: 'u1', channel: 'sms', to: '+254700000001',
          content: { text: 'Hi' }, status: 'sending', statusHistory: [{ status: 'sending', at: new Date(start) }], validUntil: new Date(start + 3_600_000),
          attempts: 1, leaseUntil: new Date(start - 1) },
      ]);
      // Worker A (attempt 1) renews; its read of the message is answered, then worker B takes the
      // ended lease over (attempt 2, a lease of a minute) before A's write arrives.
      const bLease = new Date(start + 60_000);
      const cursorProto = mongoose.mongo.FindCursor.prototype as unknown as { toArray: (...a: unknown[]) => Promise<unknown[]> };
      const toArray = cursorProto.toArray;
      cursorProto.toArray = async function (this: unknown, ...a: unknown[]) {
        cursorProto.toArray = toArray;
        const docs = await toArray.apply(this, a);
        const b = await store.messages.transition('n1:u1:sms', ['sending'], 'sending', { leaseEndedBefore: new Date(start), incrementAttempts: true, patch: { leaseUntil: bLease } });
        expect(b).toMatchObject({ attempts: 2 });
        return docs;
      };
      try {
        // A's renewal was computed when it started (a stalled worker: its `until` is already close).
        expect(await store.messages.extendLeases([{ id: 'n1:u1:sms', attempts: 1 }], new Date(start + 1_000))).toBe(0);
      } finally {
        cursorProto.toArray = toArray;
      }
      expect((await store.messages.get('n1:u1:sms'))!.leaseUntil).toEqual(bLease);
      // A third worker, a few seconds on, finds B's attempt still leased: it must not send alongside it.
      const c = await store.messages.transition('n1:u1:sms', ['sending'], 'sending', { leaseEndedBefore: new Date(start + 5_000), incrementAttempts: true });
      expect(c).toBeNull();
    }));
});
