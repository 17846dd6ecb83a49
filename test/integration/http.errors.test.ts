// One error shape for every failure: malformed JSON, sizes, content types, routes, store outages, bugs.
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { StoreUnavailableError } from '../../src/domain/errors';
import { createLogger } from '../../src/log/logger';
import { fieldsOf, makeApp, type TestApp, LogCapture } from './http.support';

let t: TestApp;
let logs: LogCapture;
beforeEach(async () => {
  t = await makeApp({ 'http.bodyLimit': '1kb' });
  logs = new LogCapture({ level: 'debug' });
  const logger = createLogger('http-test', { silent: true, level: 'debug' });
  logger.add(logs);
  t.app = createApp({ store: t.store, notifications: t.notifications, config: t.config, logger });
});
afterEach(async () => {
  await t.store.close();
});

test('malformed JSON is 400 MALFORMED_JSON and writes nothing', async () => {
  const r = await request(t.app).post('/v1/programs').set('Content-Type', 'application/json').send('{"id": 1, "name": ');
  expect(r.status).toBe(400);
  expect(r.body.error.code).toBe('MALFORMED_JSON');
  expect(r.body.error.message).toMatch(/not valid JSON/);
  expect((await t.store.programs.list('default', { limit: 1, offset: 0 })).total).toBe(0);
});

test('a body over the configured limit is 413 PAYLOAD_TOO_LARGE and writes nothing', async () => {
  const r = await request(t.app).post('/v1/programs').send({ name: 'x', description: 'y'.repeat(2000) });
  expect(r.status).toBe(413);
  expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  expect((await request(t.app).post('/').send({ start_time: '08/27/2019 21:04', program_id: 1, event_type_id: 1, blob: 'z'.repeat(2000) })).status).toBe(413);
  expect((await t.store.programs.list('default', { limit: 1, offset: 0 })).total).toBe(0);
  expect(t.notifications.accepted).toHaveLength(0);
});

test('a body that is not JSON is 415 with a clear message; a missing body is 400', async () => {
  const r = await request(t.app).post('/v1/programs').set('Content-Type', 'text/plain').send('name=x');
  expect(r.status).toBe(415);
  expect(r.body.error).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: "Content-Type must be application/json (got 'text/plain')" });
  const empty = await request(t.app).post('/v1/programs');
  expect(empty.status).toBe(400);
  expect(fieldsOf(empty.body)).toEqual(['body']);
  const array = await request(t.app).post('/v1/programs').send([{ name: 'x' }]);
  expect(array.status).toBe(400);
  expect(array.body.error.code).toBe('VALIDATION_FAILED');
});

test('unknown routes are 404 JSON; a known path with another method is 405 with Allow', async () => {
  const r = await request(t.app).get('/v2/nothing');
  expect(r.status).toBe(404);
  expect(r.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no route for GET /v2/nothing' } });
  const m = await request(t.app).put('/v1/users/1').send({});
  expect(m.status).toBe(405);
  expect(m.headers.allow).toBe('GET, PATCH, DELETE, HEAD');
  expect(m.body.error.code).toBe('METHOD_NOT_ALLOWED');
});

test('an unexpected error is 500 INTERNAL without details, and logged with method and path', async () => {
  jest.spyOn(t.store.programs, 'list').mockRejectedValue(new Error('secret at /srv/herald/db.ts:42'));
  const r = await request(t.app).get('/v1/programs');
  expect(r.status).toBe(500);
  expect(r.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error; the details are in the server log' } });
  expect(r.text).not.toContain('secret');
  const line = logs.lines.find((l) => l.level === 'error');
  expect(line).toMatchObject({ method: 'GET', path: '/v1/programs', code: 'INTERNAL' });
  expect(String(line?.message)).toContain('secret');
});

test('a store outage is 503 with Retry-After; errors about a notification are logged with its id', async () => {
  jest.spyOn(t.store.users, 'get').mockRejectedValue(new StoreUnavailableError());
  const r = await request(t.app).get('/v1/users/1');
  expect(r.status).toBe(503);
  expect(r.headers['retry-after']).toBe('5');
  expect(r.body.error.code).toBe('STORE_UNAVAILABLE');

  await request(t.app).get('/v1/notifications/n404').expect(404);
  expect(logs.lines.find((l) => l.level === 'warn' && l.status === 404)).toMatchObject({ notificationId: 'n404', code: 'NOT_FOUND' });
  expect(logs.lines.find((l) => l.level === 'debug' && l.path === '/v1/notifications/n404')).toMatchObject({ method: 'GET', status: 404 });
});

test('health is 200 while the store answers and 503 when it does not', async () => {
  expect((await request(t.app).get('/health')).body).toEqual({ status: 'ok', store: true });
  await t.store.close();
  const down = await request(t.app).get('/health');
  expect(down.status).toBe(503);
  expect(down.body).toEqual({ status: 'unavailable', store: false });
});

test('type errors read as English: "an object", "an array", "an integer", "a string"', async () => {
  const r = await request(t.app).post('/v1/programs/1/event-types').send({ name: 'x', templates: [] });
  expect(r.body.error.issues).toContainEqual({ field: 'templates', reason: 'must be an object, got array' });
  const s = await request(t.app).post('/v1/subscriptions').send({ userId: 'u', programId: 'p', channels: 'sms' });
  expect(s.body.error.issues).toContainEqual({ field: 'channels', reason: 'must be an array, got string' });
  const n = await request(t.app).post('/v1/programs').send({ name: 5 });
  expect(n.body.error.issues).toContainEqual({ field: 'name', reason: 'must be a string, got number' });
  expect(JSON.stringify([r.body, s.body, n.body])).not.toMatch(/\ba [aeiou]/);
});
