// Recipient paths, template sets and rules on event types, and explicit recipients on
// notifications, over HTTP against the real SQLite store and notification service: every bad
// input is a 4xx naming the field's path, and nothing is written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createEmbeddedBus } from '../../src/bus/embedded';
import type { Bus } from '../../src/bus/bus';
import { createNotificationService } from '../../src/services/notifications';
import { uniqueName } from '../support/services';
import { fieldsOf, makeApp, type TestApp } from './http.support';

let t: TestApp;
let bus: Bus;
let busFile: string;

async function start(overrides: Record<string, unknown> = {}): Promise<void> {
  busFile = path.join(os.tmpdir(), `${uniqueName('herald-rules-bus')}.db`);
  bus = createEmbeddedBus({ file: busFile });
  await bus.connect();
  t = await makeApp(overrides, (d) => createNotificationService({ ...d, bus }));
  await request(t.app).post('/v1/programs').send({ id: 'survey', name: 'Survey' }).expect(201);
}

beforeEach(() => start({ 'phone.defaultRegion': 'KE' }));
afterEach(async () => {
  await t.store.close();
  await bus.close();
  fs.rmSync(busFile, { force: true });
});

const ET = '/v1/programs/survey/event-types';
const overspend = { '>': [{ var: 'data.monthly_savings' }, { var: 'data.monthly_income' }] };
const valid = {
  id: 'response',
  name: 'Survey response',
  templates: { sms: { text: 'Thanks {{user.name}}' } },
  templateSets: { flagged: { sms: { text: 'Flagged: {{data.respondent_name}}' } } },
  recipientPaths: [{ phone: 'data.respondent_phone', name: 'data.respondent_name' }],
  rules: [{ id: 'overspend', when: overspend, recipients: [{ phone: 'data.collector_phone', template: 'flagged' }] }],
};

describe('event types with rules', () => {
  test('stores template sets, recipient paths and rules and reads them back', async () => {
    const created = await request(t.app).post(ET).send(valid);
    expect(created.status).toBe(201);
    const got = await request(t.app).get(`${ET}/response`);
    expect(got.body).toMatchObject({ templateSets: valid.templateSets, recipientPaths: valid.recipientPaths, rules: valid.rules });
  });

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ['an unknown operator', { rules: [{ id: 'r', when: { and: [true, { foo: [1] }] } }] }, 'rules[0].when.and[1].foo', /unknown operator 'foo'/],
    ['log (writes to the console)', { rules: [{ id: 'r', when: { log: 'x' } }] }, 'rules[0].when.log', /unknown operator/],
    ['an object with two operators', { rules: [{ id: 'r', when: { '>': [1, 2], '<': [1, 2] } }] }, 'rules[0].when', /exactly one key/],
    ['a var outside the data', { rules: [{ id: 'r', when: { '>': [{ var: 'monthly_income' }, 1] } }] }, 'rules[0].when.>[0].var', /starting with 'data\.'/],
    ['a var into the prototype', { rules: [{ id: 'r', when: { var: 'data.__proto__' } }] }, 'rules[0].when.var', /must not name/],
    ['a rule template no set has', { rules: [{ id: 'r', when: true, template: 'nope' }] }, 'rules[0].template', /no template set 'nope'/],
    ['a rule recipient template no set has', { rules: [{ id: 'r', when: true, recipients: [{ phone: 'data.p', template: 'x' }] }] }, 'rules[0].recipients[0].template', /no template set 'x'/],
    ['a malformed rule recipient path', { rules: [{ id: 'r', when: true, recipients: [{ phone: 'data..p' }] }] }, 'rules[0].recipients[0].phone', /empty segments/],
    ['a recipient path outside the data', { recipientPaths: [{ phone: 'customer.phone' }] }, 'recipientPaths[0].phone', /starting with 'data\.'/],
    ['a path recipient template no set has', { recipientPaths: [{ email: 'data.e', template: 'receipt' }] }, 'recipientPaths[0].template', /no template set 'receipt'/],
    ['a repeated rule id', { rules: [{ id: 'r', when: true }, { id: 'r', when: false }] }, 'rules[1].id', /repeats rule id/],
    ['a skip rule with recipients', { rules: [{ id: 'r', when: true, action: 'skip', recipients: [{ phone: 'data.p' }] }] }, 'rules[0].recipients', /skip rule sends nothing/],
    ['a template set name with a dot', { templateSets: { 'a.b': { sms: { text: 'x' } } } }, 'templateSets.a.b', /template set name must be/],
    ['a template set that does not compile', { templateSets: { flagged: { sms: { text: '{{#if}}' } } } }, 'templateSets.flagged.sms.text', /invalid template/],
  ])('%s is refused with 422 naming its path, and nothing is stored', async (_what, extra, field, reason) => {
    const r = await request(t.app).post(ET).send({ id: 'e', name: 'E', ...extra });
    expect(r.status).toBe(422);
    expect(fieldsOf(r.body)).toEqual([field]);
    expect(r.body.error.issues[0].reason).toMatch(reason);
    expect((await request(t.app).get(`${ET}/e`)).status).toBe(404);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['a rule without a condition', { rules: [{ id: 'r' }] }, 'rules[0].when'],
    ['a condition that is a string', { rules: [{ id: 'r', when: 'yes' }] }, 'rules[0].when'],
    ['an unknown action', { rules: [{ id: 'r', when: true, action: 'maybe' }] }, 'rules[0].action'],
    ['an unknown key in a rule', { rules: [{ id: 'r', when: true, then: {} }] }, 'rules[0].then'],
    ['a rule id with spaces', { rules: [{ id: 'a b', when: true }] }, 'rules[0].id'],
    ['a recipient path naming no address', { recipientPaths: [{ name: 'data.name' }] }, 'recipientPaths[0].phone'],
  ])('%s is refused with 400 naming its path', async (_what, extra, field) => {
    const r = await request(t.app).post(ET).send({ id: 'e', name: 'E', ...extra });
    expect(r.status).toBe(400);
    expect(fieldsOf(r.body)).toContain(field);
  });

  test('a patch is checked against the event type it leaves: removing a set a rule uses is refused', async () => {
    await request(t.app).post(ET).send(valid).expect(201);
    const r = await request(t.app).patch(`${ET}/response`).send({ templateSets: null });
    expect(r.status).toBe(422);
    expect(fieldsOf(r.body)).toEqual(['rules[0].recipients[0].template']);
    expect((await request(t.app).get(`${ET}/response`)).body.templateSets).toEqual(valid.templateSets);
    const cleared = await request(t.app).patch(`${ET}/response`).send({ rules: null, templateSets: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).not.toHaveProperty('rules');
    expect(cleared.body).not.toHaveProperty('templateSets');
    expect(cleared.body.recipientPaths).toEqual(valid.recipientPaths);
  });
});

describe('explicit recipients on POST /v1/notifications', () => {
  const post = (recipients: unknown, data: Record<string, unknown> = {}) =>
    request(t.app).post('/v1/notifications').send({ programId: 'survey', eventTypeId: 'response', startTime: '2030-01-31T09:00:00Z', data, recipients });

  beforeEach(async () => {
    await request(t.app).post(ET).send(valid).expect(201);
  });

  test.each<[string, unknown, number, string]>([
    ['a recipient without an address', [{ name: 'Nobody' }], 400, 'recipients[0].phone'],
    ['a phone that is not a string', [{ phone: '+254712345678' }, { phone: 254712345678 }], 400, 'recipients[1].phone'],
    ['an unknown key', [{ phone: '+254712345678', channel: 'sms' }], 400, 'recipients[0].channel'],
    ['an email without an @', [{ email: 'amina' }], 400, 'recipients[0].email'],
    ['a phone no country has', [{ phone: '+254712345678' }, { phone: '+999 123' }], 422, 'recipients[1].phone'],
    ['an email users could not have', [{ email: 'a@b' }], 422, 'recipients[0].email'],
    ['more than 1000 recipients', Array.from({ length: 1001 }, () => ({ phone: '+254712345678' })), 400, 'recipients'],
  ])('%s is refused naming the field with its index; nothing is stored', async (_what, recipients, status, field) => {
    const r = await post(recipients);
    expect(r.status).toBe(status);
    expect(fieldsOf(r.body)).toEqual([field]);
    expect((await request(t.app).get('/v1/notifications')).body.total).toBe(0);
  });

  test('phones in national form are read in the default region and stored in E.164; GET shows recipients and matched rules', async () => {
    const r = await post([{ phone: '0712 345 678', name: 'Guest', data: { seat: '14B' } }, { email: 'guest@example.org' }], {
      respondent_phone: '0711-000-001', collector_phone: '+254 722 000 002', monthly_income: 1, monthly_savings: 2, respondent_name: 'Amina',
    });
    expect(r.status).toBe(202);
    const n = (await request(t.app).get(`/v1/notifications/${r.body.id}`)).body;
    expect(n.recipients).toEqual([
      { phone: '+254712345678', name: 'Guest', data: { seat: '14B' }, via: 'request' },
      { email: 'guest@example.org', via: 'request' },
      { phone: '+254711000001', name: 'Amina', via: 'path' },
      { phone: '+254722000002', template: 'flagged', via: 'rule:overspend' },
    ]);
    expect(n.rules).toEqual({ matched: ['overspend'] });
  });

  test('a value the data lacks or cannot use is a warning, not a refusal', async () => {
    const r = await post(undefined, { respondent_phone: 'call me', monthly_income: 5 });
    expect(r.status).toBe(202);
    expect(r.body.warnings).toEqual([
      'recipient path data.respondent_phone: not a valid phone number; nothing sent to it',
      "rule 'overspend' is false: it reads data.monthly_savings, which the event lacks",
    ]);
    const n = (await request(t.app).get(`/v1/notifications/${r.body.id}`)).body;
    expect(n).not.toHaveProperty('recipients');
    expect(n.rules).toEqual({ matched: [] });
  });

  test('subscribers: false is stored and shown; anything but a boolean is 400', async () => {
    const base = { programId: 'survey', eventTypeId: 'response', startTime: '2030-01-31T09:00:00Z', recipients: [{ phone: '+254712345678' }] };
    const bad = await request(t.app).post('/v1/notifications').send({ ...base, subscribers: 'no' });
    expect([bad.status, fieldsOf(bad.body)]).toEqual([400, ['subscribers']]);
    const ok = await request(t.app).post('/v1/notifications').send({ ...base, subscribers: false });
    expect(ok.status).toBe(202);
    expect((await request(t.app).get(`/v1/notifications/${ok.body.id}`)).body.subscribers).toBe(false);
  });

  test('the same Idempotency-Key with other recipients is refused', async () => {
    const send = (phone: string) =>
      request(t.app).post('/v1/notifications').set('Idempotency-Key', 'k1')
        .send({ programId: 'survey', eventTypeId: 'response', startTime: '2030-01-31T09:00:00Z', recipients: [{ phone }] });
    expect((await send('+254712345678')).status).toBe(202);
    expect((await send('+254712345678')).headers['idempotent-replayed']).toBe('true');
    expect((await send('+254712345679')).status).toBe(422);
  });
});

describe('without a default region', () => {
  beforeEach(async () => {
    await t.store.close();
    await bus.close();
    await start();
    await request(t.app).post(ET).send({ id: 'e', name: 'E' }).expect(201);
  });

  test('a phone in national form is refused naming the field', async () => {
    const r = await request(t.app).post('/v1/notifications').send({ programId: 'survey', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z', recipients: [{ phone: '0712345678' }] });
    expect(r.status).toBe(422);
    expect(r.body.error.issues).toEqual([{ field: 'recipients[0].phone', reason: 'must be a valid phone number in international form (+ and country code)' }]);
  });
});
