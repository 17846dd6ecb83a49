// JSON nested thousands of levels deep parses (a 100 kB body can nest 25 000 deep) but cannot be
// stored: JSON.stringify overflows the stack a few thousand levels down. Found by hand: event data
// 5 000 levels deep answered 500. It is refused with 400 naming the top-level field, nothing stored.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createEmbeddedBus } from '../../src/bus/embedded';
import type { Bus } from '../../src/bus/bus';
import { createNotificationService } from '../../src/services/notifications';
import { uniqueName } from '../support/services';
import { makeApp, type TestApp } from './http.support';

let t: TestApp;
let bus: Bus;
let busFile: string;

beforeAll(async () => {
  busFile = path.join(os.tmpdir(), `${uniqueName('herald-deep-bus')}.db`);
  bus = createEmbeddedBus({ file: busFile });
  await bus.connect();
  t = await makeApp({}, (d) => createNotificationService({ ...d, bus }));
  await request(t.app).post('/v1/programs').send({ id: 'survey', name: 'Survey' }).expect(201);
  await request(t.app).post('/v1/programs/survey/event-types').send({ id: 'response', name: 'Response', templates: { sms: { text: 'hi' } } }).expect(201);
});
afterAll(async () => {
  await t.store.close();
  await bus.close();
  fs.rmSync(busFile, { force: true });
});

/** `{"a":{"a":...1...}}`, `depth` objects deep, as raw JSON text (what a client sends). */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const post = (url: string, json: string) => request(t.app).post(url).set('Content-Type', 'application/json').send(json);
const startTime = () => new Date().toISOString();

test.each([
  ['event data', () => `{"programId":"survey","eventTypeId":"response","startTime":"${startTime()}","data":${nested(5000)}}`, 'data'],
  ["a recipient's data", () => `{"programId":"survey","eventTypeId":"response","startTime":"${startTime()}","recipients":[{"email":"a@example.org","data":${nested(5000)}}]}`, 'recipients'],
])('%s nested 5000 levels deep is refused with 400 naming the field, and no notification is stored', async (_what, body, field) => {
  const r = await post('/v1/notifications', body());
  expect(r.status).toBe(400);
  expect(r.body.error.issues).toEqual([expect.objectContaining({ field, reason: expect.stringMatching(/nests deeper than \d+ levels/) })]);
  expect((await request(t.app).get('/v1/notifications').expect(200)).body.total).toBe(0);
});

test('the original body (POST /) with an extra field nested 5000 levels deep is 400 naming it', async () => {
  const r = await post('/', `{"start_time":"08/27/2030 21:04","program_id":"survey","event_type_id":"response","answers":${nested(5000)}}`);
  expect(r.status).toBe(400);
  expect(r.body.error.issues).toEqual([expect.objectContaining({ field: 'answers' })]);
});

test('ordinary nesting (50 levels) is still accepted', async () => {
  const r = await post('/v1/notifications', `{"programId":"survey","eventTypeId":"response","startTime":"${startTime()}","data":${nested(50)}}`);
  expect(r.status).toBe(202);
});
