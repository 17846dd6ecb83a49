// More requests that must be answered alike on the direct accept path and through express's router.
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { createKeyService } from '../../src/services/tenancy/keys';
import { makeApp, type TestApp } from './http.support';

let t: TestApp;
let server: http.Server;
let port: number;

async function start(overrides: Record<string, unknown>): Promise<void> {
  t = await makeApp(overrides);
  const logger = createLogger('http-test', { silent: true, level: 'debug' });
  server = createApp({ store: t.store, notifications: t.notifications, config: t.config, logger }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
}
afterEach(async () => {
  await new Promise((r) => server.close(r));
  await t.store.close();
});

type Answer = { status: number; body: string; headers: Record<string, unknown> };

function post(target: string, body: Buffer | undefined, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, method: 'POST', headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const { date: _d, connection: _c, 'keep-alive': _k, location: _l, ...h } = res.headers;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').replace(/"id":"[^"]*"/, '"id":"x"'), headers: h });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const J = { 'Content-Type': 'application/json' };
const okText = JSON.stringify({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', data: { seq: 1 } });
const ok = Buffer.from(okText);
let deep: unknown = 1;
for (let i = 0; i < 70; i++) deep = { d: deep };

const cases: Array<[string, string, Buffer | undefined, Record<string, string>]> = [
  ['gzip', '/v1/notifications', zlib.gzipSync(ok), { ...J, 'Content-Encoding': 'gzip' }],
  ['latin1 charset', '/v1/notifications', ok, { 'Content-Type': 'application/json; charset=latin1' }],
  ['vendor json', '/v1/notifications', ok, { 'Content-Type': 'application/vnd.herald+json' }],
  ['upper-case type', '/v1/notifications', ok, { 'Content-Type': 'APPLICATION/JSON; CHARSET=UTF-8' }],
  ['a BOM', '/v1/notifications', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), ok]), J],
  ['leading spaces', '/v1/notifications', Buffer.from(`  ${okText}`), J],
  ['an array', '/v1/notifications', Buffer.from(`[${okText}]`), J],
  ['deep', '/v1/notifications', Buffer.from(JSON.stringify({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', data: deep })), J],
  ['invalid utf-8', '/v1/notifications', Buffer.concat([Buffer.from('{"programId":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","eventTypeId":"e","startTime":"2030-01-31T09:00:00Z"}')]), J],
  ['__proto__', '/v1/notifications', Buffer.from('{"__proto__":{"x":1},"programId":"p","eventTypeId":"e","startTime":"2030-01-31T09:00:00Z"}'), J],
  ['exactly the limit', '/v1/notifications', Buffer.from(JSON.stringify({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', data: { x: 'y'.repeat(1024 - 90) } })), J],
];

describe('POST /v1/notifications edges, direct and through the router', () => {
  beforeEach(() => start({ 'http.bodyLimit': '1kb' }));
  it.each(cases)('answers %s alike', async (_name, path, body, headers) => {
    const direct = await post(path, body, headers);
    const routed = await post(`http://127.0.0.1:${port}${path}`, body, headers);
    expect(direct).toEqual(routed);
  });
});

describe('POST /v1/notifications with keys, direct and through the router', () => {
  beforeEach(() => start({ 'http.bodyLimit': '1kb', 'rateLimit.max': 3, 'rateLimit.windowMs': 60_000 }));

  it('checks the key, its role and its workspace, and counts both doors in one rate limit', async () => {
    await t.store.workspaces.create({ id: 'uni', name: 'University' });
    const keys = createKeyService({ store: t.store, config: t.config });
    const sender = (await keys.create('uni', 'sender', 'sender')).key;
    const viewer = (await keys.create('uni', 'viewer', 'viewer')).key;
    const asViewer = { ...J, Authorization: `Bearer ${viewer}` };
    const asSender = { ...J, Authorization: `Bearer ${sender}` };
    // Each pair shares one budget (the client address, the viewer key): only the remaining count differs.
    const same = (a: Answer): Answer => ({ ...a, headers: { ...a.headers, ratelimit: String(a.headers.ratelimit).replace(/remaining=\d+/, '') } });
    const [dn, rn] = [await post('/v1/notifications', ok, J), await post(`http://127.0.0.1:${port}/v1/notifications`, ok, J)];
    expect(dn.status).toBe(401);
    expect(same(dn)).toEqual(same(rn));
    const [dv, rv] = [await post('/v1/notifications', ok, asViewer), await post(`http://127.0.0.1:${port}/v1/notifications`, ok, asViewer)];
    expect(dv.status).toBe(403);
    expect(same(dv)).toEqual(same(rv));
    // The sender key's own budget (3 a window): 202, 202, 202 across both doors, then 429 on either.
    const answers = [
      await post('/v1/notifications', ok, asSender),
      await post(`http://127.0.0.1:${port}/v1/notifications`, ok, asSender),
      await post('/v1/notifications/', ok, asSender),
      await post('/v1/notifications', ok, asSender),
      await post(`http://127.0.0.1:${port}/v1/notifications`, ok, asSender),
    ];
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429, 429]);
    expect(answers.map((a) => a.headers['ratelimit-policy'])).toEqual(Array(5).fill('3;w=60'));
    expect(answers[3].headers['retry-after']).toBeDefined();
    expect(answers[3].body).toBe(answers[4].body);
    expect(t.notifications.accepted.map((n) => (n as { workspaceId?: string }).workspaceId)).toEqual(['uni', 'uni', 'uni']);
  });
});

describe('POST /v1/notifications when the error handler itself fails', () => {
  it('answers 500 on both doors instead of throwing out of the request', async () => {
    t = await makeApp({});
    const logger = createLogger('http-test', { silent: true });
    // The error handler's warn line is where it fails (a broken log sink, say).
    (logger as unknown as { warn: () => never }).warn = () => {
      throw new Error('log sink broke');
    };
    server = createApp({ store: t.store, notifications: t.notifications, config: t.config, logger }).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
    const uncaught: unknown[] = [];
    const record = (e: unknown): number => uncaught.push(e);
    process.on('uncaughtException', record);
    try {
      const routed = await post(`http://127.0.0.1:${port}/v1/notifications`, Buffer.from('{'), J);
      const direct = await Promise.race([post('/v1/notifications', Buffer.from('{'), J), new Promise<'no answer'>((r) => setTimeout(() => r('no answer'), 2000))]);
      expect(routed.status).toBe(500);
      expect(direct).toMatchObject({ status: 500 });
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});
