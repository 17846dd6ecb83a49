// GET /v1/usage and its program and user variants, on both stores: counters written by the real
// message-repo hook, buckets in a zone across DST changes and month ends, zeros, paging and every 400.
import request from 'supertest';
import type express from 'express';
import { createApp } from '../../src/http/app';
import { loadConfig } from '../../src/config';
import type { Channel, MessageStatus } from '../../src/domain/types';
import { createLogger } from '../../src/log/logger';
import { createUsageRecorder, observeStore, type UsageRecorder } from '../../src/services/usage';
import { createMongoStore, type MongoStore } from '../../src/store/mongo';
import { createSqliteStore } from '../../src/store/sqlite';
import type { NewMessage, Store } from '../../src/store/store';
import { FakeNotifications, fieldsOf } from './http.support';
import { requireServices, uniqueMongoUri } from '../support/services';

const logger = createLogger('usage-test', { silent: true });

const stores: Array<[string, () => Promise<Store>]> = [
  ['sqlite', async () => { const s = createSqliteStore(':memory:'); await s.connect(); return s; }],
  ['mongo', async () => { await requireServices(['mongo']); const s = createMongoStore(uniqueMongoUri('herald_usage')); await s.connect(); return s; }],
];

describe.each(stores)('usage API on %s', (_name, open) => {
  let raw: Store;
  let store: Store;
  let usage: UsageRecorder;
  let app: express.Express;
  let n = 0;

  beforeEach(async () => {
    raw = await open();
    usage = createUsageRecorder(raw.usage, logger);
    store = observeStore(raw, [usage.listener]);
    await store.programs.create('default', { id: 'p1', name: 'P1' });
    await store.users.create('default', { id: 'u1', name: 'U1' });
    app = createApp({ store, notifications: new FakeNotifications(), config: loadConfig({}), logger });
  });
  afterEach(async () => {
    if (raw.kind === 'mongo') await (raw as MongoStore).dropDatabase();
    await raw.close();
  });

  /** A message accepted at `at`, moved on through `path` by the same transitions the workers make. */
  async function message(at: string, path: MessageStatus[] = [], o: { channel?: Channel; userId?: string; programId?: string; provider?: string } = {}) {
    const id = `m${++n}`;
    const m: NewMessage = {
      id, workspaceId: 'default', notificationId: 'n1', programId: o.programId ?? 'p1', eventTypeId: 'e1', userId: o.userId ?? 'u1', channel: o.channel ?? 'sms',
      to: '+254700000001', content: { text: 'hi' }, sms: { encoding: 'GSM-7', segments: 2, parts: ['hi'] }, status: 'accepted',
      statusHistory: [{ status: 'accepted', at: new Date(at) }], validUntil: new Date('2031-01-01T00:00:00Z'), attempts: 0,
    };
    await store.messages.insertMany([m]);
    let from: MessageStatus = 'accepted';
    for (const to of path) {
      const patch = to === 'sending' ? { provider: o.provider ?? 'twilio' } : to === 'sent' ? { sentAt: new Date() } : {};
      expect(await store.messages.transition(id, [from], to, { patch })).not.toBeNull();
      from = to;
    }
    return id;
  }
  const get = async (path: string) => {
    await usage.flush();
    return request(app).get(path);
  };
  const delivered = ['queued', 'sending', 'sent', 'delivered'] as MessageStatus[];

  it('buckets days in the zone: the spring DST day has 23 hours, the autumn one 25', async () => {
    await message('2026-03-28T22:30:00Z'); // 00:30 on the 29th in Helsinki (+02)
    await message('2026-03-29T20:30:00Z', delivered); // 23:30 on the 29th (+03)
    await message('2026-03-29T21:30:00Z'); // 00:30 on the 30th
    const r = await get('/v1/usage?start=2026-03-28&end=2026-03-31&every=1day&tz=Europe/Helsinki');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(3);
    expect(r.body.items.map((b: { start: string; end: string; messages: number }) => [b.start, b.end, b.messages])).toEqual([
      ['2026-03-27T22:00:00.000Z', '2026-03-28T22:00:00.000Z', 0],
      ['2026-03-28T22:00:00.000Z', '2026-03-29T21:00:00.000Z', 2],
      ['2026-03-29T21:00:00.000Z', '2026-03-30T21:00:00.000Z', 1],
    ]);
    expect(r.body.items[1]).toMatchObject({ pending: 1, delivered: 1, segments: 2, creditsCharged: 0, creditsRefunded: 0 });
    await message('2026-10-25T22:30:00Z'); // 00:30 on the 26th in Helsinki, the day after the 25-hour one
    const autumn = await get('/v1/usage?start=2026-10-25&end=2026-10-27&every=1day&tz=Europe/Helsinki');
    expect(autumn.body.items.map((b: { start: string; end: string; messages: number }) => [b.start, b.end, b.messages])).toEqual([
      ['2026-10-24T21:00:00.000Z', '2026-10-25T22:00:00.000Z', 0],
      ['2026-10-25T22:00:00.000Z', '2026-10-26T22:00:00.000Z', 1],
    ]);
  });

  it('buckets months at the zone month ends, February included', async () => {
    await message('2026-01-31T23:30:00Z', ['queued', 'sending', 'failed']);
    await message('2026-02-28T23:59:00Z');
    await message('2026-03-01T00:00:00Z', ['expired']);
    await message('2026-03-31T23:00:00Z'); // still March in UTC, April in Helsinki
    const utc = await get('/v1/usage?start=2026-01-01T00:00:00Z&end=2026-04-01T00:00:00Z&every=1month');
    expect(utc.body.items.map((b: { start: string; failed: number; pending: number; expired: number }) => [b.start, b.failed, b.pending, b.expired])).toEqual([
      ['2026-01-01T00:00:00.000Z', 1, 0, 0],
      ['2026-02-01T00:00:00.000Z', 0, 1, 0],
      ['2026-03-01T00:00:00.000Z', 0, 1, 1],
    ]);
    const hel = await get('/v1/usage?start=2026-03-01&end=2026-05-01&every=1month&tz=Europe/Helsinki');
    expect(hel.body.items.map((b: { start: string; messages: number }) => [b.start, b.messages])).toEqual([
      ['2026-02-28T22:00:00.000Z', 2], // 23:59 UTC on Feb 28 is already March 1 in Helsinki
      ['2026-03-31T21:00:00.000Z', 1],
    ]);
  });

  it('lists empty buckets with zeros and sums Nhour steps', async () => {
    await message('2030-01-01T03:10:00Z');
    await message('2030-01-01T04:50:00Z');
    const r = await get('/v1/usage?start=2030-01-01T00:00:00Z&end=2030-01-01T06:00:00Z&every=1hour');
    expect(r.body.items.map((b: { messages: number }) => b.messages)).toEqual([0, 0, 0, 1, 1, 0]);
    expect(r.body.items[0]).toMatchObject({ pending: 0, sent: 0, delivered: 0, failed: 0, segments: 0 });
    const three = await get('/v1/usage?start=2030-01-01T00:00:00Z&end=2030-01-01T06:00:00Z&every=3hour');
    expect(three.body.items.map((b: { messages: number }) => b.messages)).toEqual([0, 2]);
  });

  it('pages from 1; a page past the end is empty with the total', async () => {
    await message('2030-01-01T09:30:00Z');
    const url = '/v1/usage?start=2030-01-01T00:00:00Z&end=2030-01-01T10:00:00Z&every=1hour&size=3';
    const p4 = await get(`${url}&page=4`);
    expect(p4.body).toMatchObject({ total: 10, page: 4, size: 3 });
    expect(p4.body.items.map((b: { start: string; messages: number }) => [b.start, b.messages])).toEqual([['2030-01-01T09:00:00.000Z', 1]]);
    const p2 = await get(`${url}&page=2`);
    expect(p2.body.items.map((b: { start: string }) => b.start)).toEqual(['2030-01-01T03:00:00.000Z', '2030-01-01T04:00:00.000Z', '2030-01-01T05:00:00.000Z']);
    const p5 = await get(`${url}&page=5`);
    expect(p5.status).toBe(200);
    expect(p5.body).toEqual({ items: [], total: 10, page: 5, size: 3 });
  });

  it('answers per program and per recipient, and filters by channel and provider', async () => {
    await store.programs.create('default', { id: 'p2', name: 'P2' });
    // Accepted now: a recipient's figures are counted from its messages, found by when they were stored.
    const now = new Date();
    const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    await message(now.toISOString(), delivered, { provider: 'twilio' });
    await message(now.toISOString(), delivered, { provider: 'vonage', userId: 'u2' });
    await message(now.toISOString(), [], { channel: 'email', programId: 'p2' });
    const q = `start=${new Date(day).toISOString()}&end=${new Date(day + 86_400_000).toISOString()}&every=1day`;
    const total = async (path: string) => (await get(path)).body.items[0].messages;
    expect(await total(`/v1/usage?${q}`)).toBe(3);
    expect(await total(`/v1/usage?${q}&channel=email`)).toBe(1);
    expect(await total(`/v1/usage?${q}&provider=vonage`)).toBe(1);
    expect(await total(`/v1/programs/p1/usage?${q}`)).toBe(2);
    expect(await total(`/v1/programs/p2/usage?${q}`)).toBe(1);
    expect(await total(`/v1/users/u1/usage?${q}`)).toBe(2);
    expect(await total(`/v1/users/u1/usage?${q}&channel=email`)).toBe(1);
    expect(await total(`/v1/users/u1/usage?${q}&provider=twilio`)).toBe(1);
    expect(await total(`/v1/users/u1/usage?${q}&provider=vonage`)).toBe(0);
    const missing = await get(`/v1/programs/nope/usage?${q}`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await get(`/v1/users/nobody/usage?${q}`)).status).toBe(404);
  });

  it("reports a recipient's segments and credits from its messages, in the caller's zone, at once", async () => {
    await store.users.create('default', { id: 'u3', name: 'U3' });
    const now = new Date();
    const hour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
    const id = await message(now.toISOString(), delivered, { userId: 'u3' });
    await message(now.toISOString(), ['queued', 'sending', 'failed'], { userId: 'u3' });
    await raw.messages.transition(id, ['delivered'], 'delivered'); // no change of column
    // Costs are set by the metering at the fan-out: here straight on a third message, stored with it.
    const { sentAt: _sentAt, provider: _provider, createdAt: _c, updatedAt: _u, ...sent } = (await raw.messages.get(id))!;
    await store.messages.insertMany([{ ...sent, id: 'paid', cost: 300, status: 'failed', statusHistory: [{ status: 'accepted', at: now }, { status: 'failed', at: now }] }]);
    const q = `start=${new Date(hour).toISOString()}&end=${new Date(hour + 3_600_000).toISOString()}&every=1hour&tz=Asia/Kolkata`;
    const r = await request(app).get(`/v1/users/u3/usage?${q}`); // no flush: nothing waits for counter rows
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([expect.objectContaining({ messages: 3, delivered: 1, failed: 2, segments: 2, creditsCharged: 0.3, creditsRefunded: 0.3, pending: 0 })]);
  });

  it.each([
    ['end before start', 'start=2030-01-02&end=2030-01-01&every=1day', 'end'],
    ['end equal to start', 'start=2030-01-01&end=2030-01-01&every=1day', 'end'],
    ['an unknown every', 'start=2030-01-01&end=2030-01-02&every=1fortnight', 'every'],
    ['a multiple of months', 'start=2030-01-01&end=2030-12-02&every=2month', 'every'],
    ['too many buckets', 'start=2000-01-01&end=2030-01-01&every=1hour', 'every'],
    ['size 0', 'start=2030-01-01&end=2030-01-02&every=1hour&size=0', 'size'],
    ['size above the maximum', 'start=2030-01-01&end=2030-01-02&every=1hour&size=1001', 'size'],
    ['page 0', 'start=2030-01-01&end=2030-01-02&every=1hour&page=0', 'page'],
    ['an unknown zone', 'start=2030-01-01&end=2030-01-02&every=1hour&tz=Mars/Base', 'tz'],
    ['a start that is no date', 'start=yesterday&end=2030-01-02&every=1hour', 'start'],
    ['no every', 'start=2030-01-01&end=2030-01-02', 'every'],
  ])('400 naming the field for %s', async (_what, q, field) => {
    const r = await get(`/v1/usage?${q}`);
    expect(r.status).toBe(400);
    expect(fieldsOf(r.body)).toContain(field);
  });
});
