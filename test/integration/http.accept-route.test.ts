// POST /v1/notifications runs straight to its handlers (src/http/direct-route.ts); the same request in
// absolute form (`POST http://host/v1/notifications`) is left to express's router. Both must answer
// every request alike: statuses, error bodies, headers a client reads, and the request log line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { makeApp, type TestApp, LogCapture } from './http.support';

let t: TestApp;
let logs: LogCapture;
let server: http.Server;
let port: number;

beforeEach(async () => {
  t = await makeApp({ 'http.bodyLimit': '1kb' });
  logs = new LogCapture({ level: 'debug' });
  const logger = createLogger('http-test', { silent: true, level: 'debug' });
  logger.add(logs);
  server = createApp({ store: t.store, notifications: t.notifications, config: t.config, logger }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  await t.store.close();
});

type Answer = { status: number; body: unknown; headers: Record<string, string | undefined> };

function post(target: string, body: string | undefined, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const bytes = body === undefined ? undefined : Buffer.from(body);
    const req = http.request({ host: '127.0.0.1', port, path: target, method: 'POST', headers: { ...headers, ...(bytes ? { 'Content-Length': String(bytes.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const h = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          body: text ? (JSON.parse(text) as unknown) : undefined,
          headers: { 'content-type': h['content-type'], location: h.location, 'www-authenticate': h['www-authenticate'] as string | undefined },
        });
      });
    });
    req.on('error', reject);
    req.end(bytes);
  });
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const ok = JSON.stringify({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', data: { seq: 1 } });

const cases: Array<[string, string, string | undefined, Record<string, string>]> = [
  ['accepted', '/v1/notifications', ok, JSON_TYPE],
  ['accepted with a trailing slash and another case', '/V1/Notifications/', ok, JSON_TYPE],
  ['accepted with a query string', '/v1/notifications?x=1', ok, JSON_TYPE],
  ['a key in the query string', '/v1/notifications?api_key=abc', ok, JSON_TYPE],
  ['an unknown key', '/v1/notifications', ok, { ...JSON_TYPE, Authorization: 'Bearer nope' }],
  ['a missing field', '/v1/notifications', JSON.stringify({ programId: 'p', startTime: '2030-01-31T09:00:00Z' }), JSON_TYPE],
  ['an unknown field', '/v1/notifications', JSON.stringify({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', x: 1 }), JSON_TYPE],
  ['a window that ends first', '/v1/notifications', JSON.stringify({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', endTime: '2030-01-31T08:00:00Z' }), JSON_TYPE],
  ['malformed JSON', '/v1/notifications', '{"programId": ', JSON_TYPE],
  ['a scalar', '/v1/notifications', '12', JSON_TYPE],
  ['too large', '/v1/notifications', JSON.stringify({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', data: { x: 'y'.repeat(2000) } }), JSON_TYPE],
  ['text/plain', '/v1/notifications', ok, { 'Content-Type': 'text/plain' }],
  ['no body', '/v1/notifications', undefined, JSON_TYPE],
  ['a bad Idempotency-Key', '/v1/notifications', ok, { ...JSON_TYPE, 'Idempotency-Key': 'k'.repeat(300) }],
];

describe('POST /v1/notifications, direct and through the router', () => {
  it.each(cases)('answers %s alike', async (_name, path, body, headers) => {
    const direct = await post(path, body, headers);
    const routed = await post(`http://127.0.0.1:${port}${path}`, body, headers);
    // Accepted notifications get ids of their own (n1, n2 from the fake service).
    const strip = (a: Answer): Answer => (a.status === 202 ? { ...a, body: { ...(a.body as object), id: 'x' }, headers: { ...a.headers, location: 'x' } } : a);
    expect(strip(direct)).toEqual(strip(routed));
  });

  it('takes the direct path for the plain request and logs it like any other', async () => {
    const a = await post('/v1/notifications', ok, JSON_TYPE);
    expect(a.status).toBe(202);
    expect(a.headers.location).toBe('/v1/notifications/n1');
    expect(t.notifications.accepted).toHaveLength(1);
    await new Promise((r) => setImmediate(r));
    expect(logs.lines.find((l) => l.level === 'debug' && l.path === '/v1/notifications')).toMatchObject({ method: 'POST', status: 202, notificationId: 'n1' });
    const bad = await post('/v1/notifications', '{', JSON_TYPE);
    expect(bad.body).toMatchObject({ error: { code: 'MALFORMED_JSON' } });
    expect(logs.lines.find((l) => l.level === 'warn' && String(l.message).startsWith('http 400 MALFORMED_JSON'))).toMatchObject({ method: 'POST', path: '/v1/notifications' });
  });
});
