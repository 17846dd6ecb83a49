// The dashboard's live streams read the store once per period, one read at a time. A read that never
// settles used to stop the stream for good (the page still open, nothing new ever shown); after
// store.callTimeoutMs it is given up and the next period reads again. Embedded store, real HTTP.
import http from 'node:http';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { ADMIN_KEY, startDashboardHerald } from '../browser/dashboard.support';
import { disposeTestHerald } from '../support/herald';

jest.setTimeout(30_000);
const HTML = { Accept: 'text/html' };

describe('dashboard log follow with a store read that never settles', () => {
  let herald: RunningHerald;
  let cookie = '';

  beforeAll(async () => {
    herald = await startDashboardHerald('embedded', { 'store.callTimeoutMs': 300 });
    const form = await request(herald.url!).get('/dashboard/sign-in').set(HTML);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1];
    const formCookie = String((form.headers['set-cookie'] as unknown as string[] | undefined)?.[0] ?? '').split(';')[0];
    const r = await request(herald.url!).post('/dashboard/sign-in').set('Cookie', formCookie).type('form').send({ _csrf: csrf, key: ADMIN_KEY, next: '/' });
    expect(r.status).toBe(303);
    cookie = String((r.headers['set-cookie'] as unknown as string[])[0]).split(';')[0];
  }, 60_000);
  afterAll(() => disposeTestHerald(herald));

  it('goes on after the hung read: a new log line still reaches the page', async () => {
    const logs = herald.store.logs;
    const realQuery = logs.query.bind(logs);
    let hung = 0;
    const spy = jest.spyOn(logs, 'query').mockImplementation((q) => {
      // The stream's first read hangs for good.
      if (q.afterSeq !== undefined && hung++ === 0) return new Promise(() => undefined);
      return realQuery(q);
    });
    const newest = (await realQuery({ limit: 1, newest: true })).at(-1)?.seq ?? 0;
    let body = '';
    const req = http.get(`${herald.url}/dashboard/events/logs?after=${newest}`, { headers: { Cookie: cookie, Accept: 'text/event-stream' } });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
      expect(res.statusCode).toBe(200);
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      const end = Date.now() + 15_000;
      while (hung === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(hung).toBeGreaterThan(0);
      herald.logger.warn('marker line written while a read hangs');
      while (!body.includes('marker line written while a read hangs') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(body).toContain('marker line written while a read hangs');
    } finally {
      req.destroy();
      spy.mockRestore();
    }
  });

  it('campaign progress never goes back: the first read, given up on and answered late, is not sent after newer ones', async () => {
    const store = herald.store;
    const ws = 'default';
    await store.campaigns.create({ workspaceId: ws, id: 'c_late', name: 'late', channel: 'sms', message: 'Hello', status: 'draft', validityHours: 48, recipients: 10, run: { messages: 0 } });
    const realGet = store.campaigns.get.bind(store.campaigns);
    let first = true;
    const spy = jest.spyOn(store.campaigns, 'get').mockImplementation(async (id) => {
      if (id !== 'c_late' || !first) return realGet(id);
      first = false;
      // The stream's first read sees the draft, then answers only after its bound and a newer read.
      const stale = await realGet(id);
      await store.campaigns.transition('c_late', ['draft'], 'running', { run: { messages: 0, startedAt: new Date() } });
      await new Promise((r) => setTimeout(r, 2_500));
      return stale;
    });
    let body = '';
    const req = http.get(`${herald.url}/dashboard/events/campaigns?ids=c_late`, { headers: { Cookie: cookie, Accept: 'text/event-stream' } });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
      expect(res.statusCode).toBe(200);
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      // Past the late answer (2.5 s) and a few ticks after it.
      await new Promise((r) => setTimeout(r, 4_500));
      const statuses = [...body.matchAll(/"status":"(\w+)"/g)].map((m) => m[1]);
      expect(statuses).toContain('running');
      expect(statuses.slice(statuses.indexOf('running'))).not.toContain('draft');
    } finally {
      req.destroy();
      spy.mockRestore();
    }
  });

  it('reads that all hang do not pile up: the stream stops asking after two given-up reads', async () => {
    const logs = herald.store.logs;
    let hung = 0;
    const spy = jest.spyOn(logs, 'query').mockImplementation((q) => {
      if (q.afterSeq !== undefined) hung++;
      return new Promise(() => undefined);
    });
    const req = http.get(`${herald.url}/dashboard/events/logs?after=0`, { headers: { Cookie: cookie, Accept: 'text/event-stream' } });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
      expect(res.statusCode).toBe(200);
      res.resume();
      // Five periods of 1 s with a 300 ms bound: one new read a period if given-up reads were not counted.
      await new Promise((r) => setTimeout(r, 5_000));
      expect(hung).toBe(2);
    } finally {
      req.destroy();
      spy.mockRestore();
    }
  });
});
