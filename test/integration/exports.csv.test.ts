// CSV exports on both stores: one notification's messages and an interval's, quoted properly,
// streamed: the first rows arrive while the walk is still under way, and a client that stops
// reading holds the walk back (bounded memory), on a count too large to buffer unnoticed.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type express from 'express';
import { createApp } from '../../src/http/app';
import { loadConfig } from '../../src/config';
import type { Message } from '../../src/domain/types';
import { createLogger } from '../../src/log/logger';
import { createMongoStore, type MongoStore } from '../../src/store/mongo';
import { createSqliteStore } from '../../src/store/sqlite';
import type { NewMessage, Store } from '../../src/store/store';
import { FakeNotifications, fieldsOf } from './http.support';
import { requireServices, uniqueMongoUri } from '../support/services';

const logger = createLogger('csv-test', { silent: true });
const HEADER = 'id,notificationId,programId,userId,recipient,channel,provider,status,segments,credits,attempts,createdAt,sentAt,deliveredAt,updatedAt,errorCode,errorMessage';

function message(id: string, notificationId: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    id, workspaceId: 'default', notificationId, programId: 'p1', eventTypeId: 'e1', userId: `u-${id}`, channel: 'sms', to: '+254700000001', content: { text: 'hi' },
    sms: { encoding: 'GSM-7', segments: 2, parts: ['hi'] }, status: 'accepted', statusHistory: [{ status: 'accepted', at: new Date() }],
    validUntil: new Date('2031-01-01T00:00:00Z'), attempts: 0, ...over,
  };
}

const stores: Array<[string, () => Promise<Store>]> = [
  ['sqlite', async () => { const s = createSqliteStore(':memory:'); await s.connect(); return s; }],
  ['mongo', async () => { await requireServices(['mongo']); const s = createMongoStore(uniqueMongoUri('herald_csv')); await s.connect(); return s; }],
];

describe.each(stores)('CSV exports on %s', (_name, open) => {
  let store: Store;
  let app: express.Express;
  beforeEach(async () => {
    store = await open();
    app = createApp({ store, notifications: new FakeNotifications(), config: loadConfig({}), logger });
    await store.notifications.create({
      id: 'n1', workspaceId: 'default', programId: 'p1', eventTypeId: 'e1', startTime: new Date(), validUntil: new Date('2031-01-01T00:00:00Z'), data: {},
      status: 'dispatched', source: 'api', dispatch: { messages: 3 },
    });
  });
  afterEach(async () => {
    if (store.kind === 'mongo') await (store as MongoStore).dropDatabase();
    await store.close();
  });

  it("streams one notification's messages with a header, quoting commas and quotes", async () => {
    await store.messages.insertMany([
      message('a', 'n1'),
      message('b', 'n1', { channel: 'email', to: 'b@example.org', sms: undefined }),
      message('c', 'n2'),
    ]);
    await store.messages.transition('a', ['accepted'], 'failed', { patch: { provider: 'twilio', error: { code: 'REJECTED', message: 'bad "number", refused' } } });
    const r = await request(app).get('/v1/notifications/n1/messages.csv');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe('attachment; filename="messages-n1.csv"');
    const lines = r.text.trimEnd().split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines).toHaveLength(3);
    const a = (await store.messages.get('a')) as Message;
    expect(lines[1]).toBe(
      `a,n1,p1,u-a,+254700000001,sms,twilio,failed,2,,0,${a.createdAt.toISOString()},,,${a.updatedAt.toISOString()},REJECTED,"bad ""number"", refused"`,
    );
    expect(lines[2]).toMatch(/^b,n1,p1,u-b,b@example\.org,email,,accepted,,,0,/);
    expect((await request(app).get('/v1/notifications/nope/messages.csv')).status).toBe(404);
  });

  it('shows what each message cost: its reservation, 0 once refunded, empty when nothing was reserved', async () => {
    await store.messages.insertMany([message('kept', 'n1', { cost: 200 }), message('back', 'n1', { cost: 100 }), message('free', 'n1')]);
    await store.messages.transition('kept', ['accepted'], 'sent', { patch: { provider: 'twilio', sentAt: new Date() } });
    await store.messages.transition('back', ['accepted'], 'failed', { patch: { provider: 'twilio' } });
    expect((await store.messages.get('kept'))?.cost).toBe(200);
    const r = await request(app).get('/v1/notifications/n1/messages.csv').expect(200);
    const credits = Object.fromEntries(r.text.trimEnd().split('\n').slice(1).map((l) => [l.split(',')[0], l.split(',')[9]]));
    expect(credits).toEqual({ kept: '0.2', back: '0', free: '' });
  });

  it('exports an interval [start, end) and refuses a bad one with the field', async () => {
    await store.messages.insertMany([message('x', 'n1')]);
    const after = new Date(Date.now() + 1000).toISOString();
    const all = await request(app).get(`/v1/exports/messages.csv?start=2020-01-01T00:00:00Z&end=${after}`);
    expect(all.text.trimEnd().split('\n').map((l) => l.split(',')[0])).toEqual(['id', 'x']);
    const none = await request(app).get(`/v1/exports/messages.csv?start=${after}&end=2040-01-01T00:00:00Z`);
    expect(none.text.trimEnd().split('\n')).toEqual([HEADER]);
    const bad = await request(app).get(`/v1/exports/messages.csv?start=${after}&end=2020-01-01T00:00:00Z`);
    expect([bad.status, fieldsOf(bad.body)]).toEqual([400, ['end']]);
    const missing = await request(app).get('/v1/exports/messages.csv?end=2020-01-01T00:00:00Z');
    expect([missing.status, fieldsOf(missing.body)]).toEqual([400, ['start']]);
  });
});

describe('CSV export of a large count (sqlite)', () => {
  const COUNT = 40_000;
  it('sends the first rows before the walk ends and reads no further ahead than the client takes', async () => {
    const raw = createSqliteStore(':memory:');
    await raw.connect();
    for (let i = 0; i < COUNT; i += 2000) {
      // About 1 kB a row: 40 MB of CSV, far more than socket buffers hold, so only backpressure can stop the walk.
      await raw.messages.insertMany(Array.from({ length: 2000 }, (_, j) => message(`m${String(i + j).padStart(6, '0')}`, 'n1', { error: { code: 'X', message: 'x'.repeat(1000) } })));
    }
    let walked = 0;
    let walkDone = false;
    const counted = {
      ...raw.messages,
      async *stream(...args: Parameters<Store['messages']['stream']>) {
        for await (const m of raw.messages.stream(...args)) {
          walked++;
          yield m;
        }
        walkDone = true;
      },
    };
    const store = new Proxy(raw, { get: (t, p) => (p === 'messages' ? counted : Reflect.get(t, p, t)) }) as Store;
    const app = createApp({ store, notifications: new FakeNotifications(), config: loadConfig({}), logger });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`http://127.0.0.1:${port}/v1/exports/messages.csv?start=2020-01-01T00:00:00Z&end=2040-01-01T00:00:00Z`, resolve));
      expect(res.statusCode).toBe(200);
      const first = await new Promise<Buffer>((resolve) =>
        res.once('data', (c: Buffer) => {
          res.pause(); // at once: a chunk emitted with no listener would be lost
          resolve(c);
        }),
      );
      expect(first.toString().startsWith(HEADER)).toBe(true);
      expect(walkDone).toBe(false);
      // The client reads nothing for a while: the walk stops (socket buffers and a few batches ahead), far from the end.
      await new Promise((r) => setTimeout(r, 700));
      const heldAt = walked;
      await new Promise((r) => setTimeout(r, 700));
      expect(walked).toBe(heldAt);
      expect(heldAt).toBeLessThan(COUNT / 2);
      expect(walkDone).toBe(false);
      let bytes = first.length;
      let lines = first.toString().split('\n').length - 1;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        lines += c.toString().split('\n').length - 1;
      });
      res.resume();
      await new Promise((r) => res.once('end', r));
      expect(walkDone).toBe(true);
      expect(lines).toBe(COUNT + 1);
      expect(bytes).toBeGreaterThan(COUNT * 1000);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await raw.close();
    }
  }, 60_000);
});
