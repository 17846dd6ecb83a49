// The store contract against the embedded SQLite store, plus what only a file can show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../../src/store/sqlite';
import { createStore } from '../../src/store';
import { failure, leaveWal, openDescriptors } from '../support/open-files';
import { uniqueName } from '../support/services';
import { describeStoreContract } from './store.contract';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-store-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describeStoreContract('sqlite file', async () => {
  const store = createSqliteStore(path.join(root, uniqueName('db'), 'nested', 'herald.db'));
  await store.connect();
  return store;
});

describeStoreContract('sqlite :memory:', async () => {
  const store = createSqliteStore(':memory:');
  await store.connect();
  return store;
});

describe('SQLite store on disk', () => {
  it('creates the missing parent folder and keeps every record across close and reopen', async () => {
    const file = path.join(root, uniqueName('reopen'), 'deep', 'herald.db');
    const first = createStore({ sqliteFile: file });
    expect(first.kind).toBe('sqlite');
    await first.connect();
    await first.programs.create('default', { id: 'p1', name: 'P' });
    await first.users.create('default', { id: 'u1', name: 'U', phone: '+254700000001' });
    await first.subscriptions.create('default', { id: 's1', userId: 'u1', programId: 'p1', channels: ['sms'] });
    await first.notifications.create({
      id: 'n1', workspaceId: 'default', programId: 'p1', eventTypeId: 'e1', startTime: new Date('2030-01-01T00:00:00Z'),
      validUntil: new Date('2030-01-03T00:00:00Z'), data: {}, status: 'accepted', source: 'legacy', dispatch: { messages: 0 },
    });
    await first.logs.append([{ time: new Date(), level: 'info', process: 'test', message: 'before' }]);
    await first.close();
    expect(fs.existsSync(file)).toBe(true);

    const second = createSqliteStore(file);
    await second.connect();
    expect(await second.programs.get('default', 'p1')).toMatchObject({ name: 'P' });
    expect((await second.subscriptions.subscribersAfter('default', 'p1', 'e1', undefined, 10)).map((x) => x.user.id)).toEqual(['u1']);
    expect(await second.notifications.get('n1')).toMatchObject({ status: 'accepted', source: 'legacy', data: {} });
    await second.logs.append([{ time: new Date(), level: 'info', process: 'test', message: 'after' }]);
    const lines = await second.logs.query({ limit: 10 });
    expect(lines.map((l) => l.message)).toEqual(['before', 'after']);
    expect(lines[1].seq!).toBeGreaterThan(lines[0].seq!);
    await second.close();
  });

  it('sees writes of another connection to the same file (WAL, one process each)', async () => {
    const file = path.join(root, uniqueName('shared'), 'herald.db');
    const a = createSqliteStore(file);
    const b = createSqliteStore(file);
    await a.connect();
    await b.connect();
    await a.messages.insertMany([{
      id: 'm1', workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms', to: '+1', content: { text: 'x' },
      status: 'queued', statusHistory: [], validUntil: new Date('2030-01-01T00:00:00Z'), attempts: 0,
    }]);
    const [x, y] = await Promise.all([
      a.messages.transition('m1', ['queued'], 'sending'),
      b.messages.transition('m1', ['queued'], 'cancelled'),
    ]);
    expect([x, y].filter((r) => r !== null)).toHaveLength(1);
    expect((await b.messages.get('m1'))!.statusHistory).toHaveLength(1);
    await a.close();
    await b.close();
  });
});

describe('SQLite store: a file it cannot use', () => {
  // Start-up retries connect() (connectWithRetry): no failed attempt may leave its connection open.
  it('another program\'s file fails every connect with the same error and is left with no connection open', async () => {
    const file = path.join(root, uniqueName('foreign'), 'herald.db');
    fs.mkdirSync(path.dirname(file));
    const other = new Database(file);
    other.exec('CREATE TABLE logs (id INTEGER PRIMARY KEY, line TEXT)');
    other.close();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await failure(createSqliteStore(file).connect())).toEqual(['STORE_UNAVAILABLE', expect.stringContaining(`sqlite: cannot open ${file}: no such column: "seq"`)]);
    }
    expect(openDescriptors(file)).toBe(0);
    expect(leaveWal(file)).toBe('delete');
  });

  it('a file that is not a database leaves no descriptor open after failed connects', async () => {
    const file = path.join(root, uniqueName('notadb'), 'herald.db');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, 'not a database\n'.repeat(100));
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await failure(createSqliteStore(file).connect())).toEqual(['STORE_UNAVAILABLE', `sqlite: cannot open ${file}: file is not a database`]);
    }
    expect(openDescriptors(file)).toBe(0);
  });
});

describe('SQLite store: a file from before workspaces', () => {
  // The tables as schema version 1 made them (no workspaceId anywhere).
  const V1 = `
    CREATE TABLE programs ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "description" TEXT, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL);
    CREATE TABLE event_types ("programId" TEXT NOT NULL, "id" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT, "templates" TEXT NOT NULL,
      "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL, PRIMARY KEY ("programId", "id"));
    CREATE TABLE users ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "phone" TEXT, "email" TEXT, "locale" TEXT, "timezone" TEXT,
      "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL);
    CREATE TABLE subscriptions ("id" TEXT PRIMARY KEY, "userId" TEXT NOT NULL, "programId" TEXT NOT NULL, "eventTypeId" TEXT,
      "scope" TEXT NOT NULL, "channels" TEXT NOT NULL, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL);
    CREATE UNIQUE INDEX subscriptions_user_scope ON subscriptions ("userId", "programId", "scope");
    CREATE INDEX subscriptions_fanout ON subscriptions ("programId", "scope", "userId");
    CREATE TABLE notifications ("id" TEXT PRIMARY KEY, "programId" TEXT NOT NULL, "eventTypeId" TEXT NOT NULL,
      "startTime" INTEGER NOT NULL, "endTime" INTEGER, "validUntil" INTEGER NOT NULL, "data" TEXT NOT NULL,
      "status" TEXT NOT NULL, "source" TEXT NOT NULL, "idempotencyKey" TEXT, "warnings" TEXT,
      "dispatchCursor" TEXT, "dispatchMessages" INTEGER NOT NULL, "dispatchStartedAt" INTEGER, "dispatchFinishedAt" INTEGER,
      "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL);
    INSERT INTO programs VALUES ('1', 'Old program', NULL, 1, 1);
    INSERT INTO event_types VALUES ('1', '1', 'Old event', NULL, '{}', 1, 1);
    INSERT INTO users VALUES ('amina', 'Amina', '+254700000001', NULL, NULL, NULL, 1, 1);
    INSERT INTO subscriptions VALUES ('s1', 'amina', '1', NULL, '*', '["sms"]', 1, 1);
    INSERT INTO notifications VALUES ('n1', '1', '1', 1, NULL, 2, '{}', 'dispatched', 'legacy', NULL, NULL, NULL, 0, NULL, NULL, 1, 1);
    PRAGMA user_version = 1;`;

  it('moves every record to the default workspace and lets other workspaces reuse the ids', async () => {
    const file = path.join(root, uniqueName('v1'), 'herald.db');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    old.exec(V1);
    old.close();
    const store = createSqliteStore(file);
    await store.connect();
    expect(await store.programs.get('default', '1')).toMatchObject({ workspaceId: 'default', name: 'Old program' });
    expect(await store.eventTypes.get('default', '1', '1')).toMatchObject({ workspaceId: 'default', name: 'Old event' });
    expect(await store.notifications.get('n1')).toMatchObject({ workspaceId: 'default', status: 'dispatched' });
    expect((await store.notifications.list({ workspaceId: 'default' }, { limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.subscriptions.subscribersAfter('default', '1', '1', undefined, 10)).map((x) => x.user.id)).toEqual(['amina']);
    await store.programs.create('other', { id: '1', name: 'Same id elsewhere' });
    await store.subscriptions.create('other', { id: 's1', userId: 'amina', programId: '1', channels: ['sms'] });
    expect(await store.programs.get('default', '1')).toMatchObject({ name: 'Old program' });
    await store.close();
    // Opening again changes nothing (the migration runs once).
    const again = createSqliteStore(file);
    await again.connect();
    expect((await again.programs.list('default', { limit: 10, offset: 0 })).total).toBe(1);
    expect((await again.programs.list('other', { limit: 10, offset: 0 })).total).toBe(1);
    await again.close();
  });
});

describe('SQLite store: a file from before rules (schema version 2)', () => {
  it('gains the rule and recipient columns and keeps its records', async () => {
    const file = path.join(root, uniqueName('v2'), 'herald.db');
    const first = createSqliteStore(file);
    await first.connect();
    await first.eventTypes.create('default', { programId: 'p', id: 'e', name: 'Old', templates: { sms: { text: 'hi' } } });
    await first.close();
    const old = new Database(file);
    for (const [t, c] of [['event_types', 'templateSets'], ['event_types', 'recipientPaths'], ['event_types', 'rules'], ['notifications', 'recipients'], ['notifications', 'rules'], ['notifications', 'subscribers']]) {
      old.exec(`ALTER TABLE ${t} DROP COLUMN "${c}"`);
    }
    old.pragma('user_version = 2');
    old.close();

    const store = createSqliteStore(file);
    await store.connect();
    expect(await store.eventTypes.get('default', 'p', 'e')).toMatchObject({ name: 'Old', templates: { sms: { text: 'hi' } } });
    const rules = [{ id: 'r', when: { '>': [{ var: 'data.a' }, 1] } }];
    expect(await store.eventTypes.update('default', 'p', 'e', { rules })).toMatchObject({ rules });
    await store.close();
    const reopened = new Database(file);
    expect(reopened.pragma('user_version', { simple: true })).toBe(4);
    reopened.close();
  });
});

describe('SQLite store: a file from before recipients were counted from their messages (schema version 3)', () => {
  it("loses its recipient counter rows, keeps the others, and gets the messages' recipient index", async () => {
    const file = path.join(root, uniqueName('v3'), 'herald.db');
    const first = createSqliteStore(file);
    await first.connect();
    await first.close();
    const old = new Database(file);
    old.exec('DROP INDEX messages_workspace_user_created');
    const insert = old.prepare(`INSERT INTO usage_rollups ("workspaceId", "dimension", "key", "hour", "channel", "provider", "sent") VALUES ('default', ?, ?, ?, 'sms', 'twilio', ?)`);
    const hour = Date.UTC(2030, 0, 1, 10);
    insert.run('workspace', '*', hour, 3);
    insert.run('user', 'u1', hour, 2);
    insert.run('user', 'u2', hour, 1);
    old.pragma('user_version = 3');
    old.close();

    const store = createSqliteStore(file);
    await store.connect();
    const q = { workspaceId: 'default', from: new Date(hour), to: new Date(hour + 3_600_000) };
    expect((await store.usage.hourly({ ...q, dimension: 'workspace', key: '*' })).map((h) => h.counts.sent)).toEqual([3]);
    expect(await store.usage.hourly({ ...q, dimension: 'user', key: 'u1' })).toEqual([]);
    await store.close();
    const reopened = new Database(file);
    expect(reopened.prepare(`SELECT COUNT(*) AS n FROM usage_rollups WHERE "dimension" = 'user'`).get()).toEqual({ n: 0 });
    expect(reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'messages_workspace_user_created'").get()).toBeDefined();
    const plan = reopened.prepare(`EXPLAIN QUERY PLAN SELECT "status" FROM messages WHERE "workspaceId" = 'default' AND "userId" = 'u1' AND "createdAt" >= 0 AND "createdAt" < 1`).all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toContain('messages_workspace_user_created');
    expect(reopened.pragma('user_version', { simple: true })).toBe(4);
    reopened.close();
  });
});

/** A message of notification `n` in `status`, valid until 2030 (the migration tests' rows). */
function fileMessage(id: string, status: 'accepted' | 'queued' | 'sending' | 'sent') {
  const at = new Date('2030-01-01T00:00:00Z');
  return {
    id, workspaceId: 'default', notificationId: 'n', programId: 'p', eventTypeId: 'e', userId: id, channel: 'sms' as const, to: '+33600000000',
    content: { text: 'hi' }, status, statusHistory: [{ status, at }], validUntil: at, attempts: 0,
  };
}

describe('SQLite store: a file with the full status indexes of messages (before the partial ones)', () => {
  it('swaps them for the sweeps\' partial indexes, and the sweeps find the same messages', async () => {
    const file = path.join(root, uniqueName('sweeps'), 'herald.db');
    const first = createSqliteStore(file);
    await first.connect();
    await first.messages.insertMany([fileMessage('a', 'accepted'), fileMessage('q', 'queued'), fileMessage('s', 'sent')]);
    await first.close();
    const old = new Database(file);
    old.exec(`DROP INDEX messages_stale; DROP INDEX messages_expirable;
      CREATE INDEX messages_status_updated ON messages ("status", "updatedAt"); CREATE INDEX messages_status_valid ON messages ("status", "validUntil");`);
    old.close();

    const store = createSqliteStore(file);
    await store.connect();
    const later = new Date('2031-01-01T00:00:00Z');
    expect((await store.messages.findStale(['accepted'], later, 10)).map((m) => m.id)).toEqual(['a']);
    expect((await store.messages.findExpired(['accepted', 'scheduled', 'queued'], later, 10)).map((m) => m.id)).toEqual(['a', 'q']);
    expect((await store.messages.findExpired(['queued', 'sent'], later, 10)).map((m) => m.id)).toEqual(['q', 's']);
    await store.close();
    const reopened = new Database(file);
    const indexes = (reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all() as Array<{ name: string }>).map((r) => r.name);
    reopened.close();
    expect(indexes).toEqual(expect.arrayContaining(['messages_stale', 'messages_expirable']));
    expect(indexes).not.toContain('messages_status_updated');
    expect(indexes).not.toContain('messages_status_valid');
  });
});

describe('SQLite store: a file with the provider ids indexed by message', () => {
  it('loses that index and still replaces and finds a message\'s provider ids', async () => {
    const file = path.join(root, uniqueName('pids'), 'herald.db');
    const first = createSqliteStore(file);
    await first.connect();
    await first.messages.insertMany([{ ...fileMessage('m', 'sending'), attempts: 1, providerMessageIds: ['old-1', 'old-2'] }]);
    await first.close();
    const old = new Database(file);
    old.exec('CREATE INDEX message_provider_ids_message ON message_provider_ids ("messageId");');
    old.close();

    const store = createSqliteStore(file);
    await store.connect();
    expect((await store.messages.findByProviderMessageId('old-2'))?.id).toBe('m');
    await store.messages.transition('m', ['sending'], 'sent', { patch: { providerMessageIds: ['new'] } });
    expect(await store.messages.findByProviderMessageId('old-1')).toBeNull();
    expect(await store.messages.findByProviderMessageId('old-2')).toBeNull();
    expect((await store.messages.findByProviderMessageId('new'))?.id).toBe('m');
    await store.close();
    const reopened = new Database(file);
    const indexes = (reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'message_provider_ids'").all() as Array<{ name: string }>).map((r) => r.name);
    reopened.close();
    expect(indexes).not.toContain('message_provider_ids_message');
  });
});

describe('SQLite store: a file with the full state index of the credit ledger (before the held-only one)', () => {
  it('swaps it for the index of held reservations, and the sweeper and the balance read find the same entries', async () => {
    const file = path.join(root, uniqueName('ledger'), 'herald.db');
    const first = createSqliteStore(file);
    await first.connect();
    await first.credits.open('w1', { balance: 1000 });
    const item = (k: number) => ({ messageId: `m${k}`, notificationId: 'n', cost: 100 });
    await first.credits.reserve('w1', [item(1), item(2), item(3)]);
    await first.credits.charge(['m2']);
    await first.close();
    const old = new Database(file);
    old.exec(`DROP INDEX credit_ledger_held; CREATE INDEX credit_ledger_state ON credit_ledger ("state", "createdAt");`);
    old.close();

    const store = createSqliteStore(file);
    await store.connect();
    expect((await store.credits.findHeld(new Date(Date.now() + 60_000), 10)).map((e) => e.messageId)).toEqual(['m1', 'm3']);
    expect(await store.credits.reserved('w1')).toBe(200);
    await store.close();
    const reopened = new Database(file);
    const indexes = (reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'credit_ledger'").all() as Array<{ name: string }>).map((r) => r.name);
    reopened.close();
    expect(indexes).toContain('credit_ledger_held');
    expect(indexes).not.toContain('credit_ledger_state');
  });
});
