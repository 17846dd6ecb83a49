// The store contract against the embedded SQLite store, plus what only a file can show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqliteStore } from '../../src/store/sqlite';
import { createStore } from '../../src/store';
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
    await first.programs.create({ id: 'p1', name: 'P' });
    await first.users.create({ id: 'u1', name: 'U', phone: '+254700000001' });
    await first.subscriptions.create({ id: 's1', userId: 'u1', programId: 'p1', channels: ['sms'] });
    await first.notifications.create({
      id: 'n1', programId: 'p1', eventTypeId: 'e1', startTime: new Date('2030-01-01T00:00:00Z'),
      validUntil: new Date('2030-01-03T00:00:00Z'), data: {}, status: 'accepted', source: 'legacy', dispatch: { messages: 0 },
    });
    await first.logs.append([{ time: new Date(), level: 'info', process: 'test', message: 'before' }]);
    await first.close();
    expect(fs.existsSync(file)).toBe(true);

    const second = createSqliteStore(file);
    await second.connect();
    expect(await second.programs.get('p1')).toMatchObject({ name: 'P' });
    expect((await second.subscriptions.subscribersAfter('p1', 'e1', undefined, 10)).map((x) => x.user.id)).toEqual(['u1']);
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
      id: 'm1', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms', to: '+1', content: { text: 'x' },
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
