// The client's webhook endpoints over HTTP: register (secret shown once), list, change, disable,
// rotate, delete; bad input named; private addresses refused without the operator's flag; other
// workspaces see nothing; and /v1/webhooks/<providerId> still takes providers' delivery reports.
import request from 'supertest';
import twilio from 'twilio';
import { loadConfig } from '../../src/config';
import type { RunningHerald } from '../../src/runtime';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { disposeTestHerald, startTestHerald, testConfig } from '../support/herald';
import { fieldsOf, makeApp, type TestApp } from './http.support';

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

describe('endpoints API (operator flag off: private addresses refused)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeApp();
  });
  afterEach(async () => {
    await t.store.close();
  });

  it('registers an endpoint with a whsec_ secret shown once; lists and reads it without the secret', async () => {
    const r = await request(t.app).post('/v1/webhooks').send({ url: 'https://example.com/hooks', events: ['message.delivered', 'message.failed'], description: 'orders' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: expect.stringMatching(/^we_[A-Za-z0-9]{24}$/), url: 'https://example.com/hooks', events: ['message.delivered', 'message.failed'], enabled: true, description: 'orders' });
    expect(r.body.secret).toMatch(SECRET);
    expect(Buffer.from(r.body.secret.slice(6), 'base64')).toHaveLength(32);
    const one = await request(t.app).get(`/v1/webhooks/${r.body.id}`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('secret');
    const list = await request(t.app).get('/v1/webhooks');
    expect(list.body).toMatchObject({ total: 1, items: [{ id: r.body.id }] });
    expect(list.body.items[0]).not.toHaveProperty('secret');
    expect(JSON.stringify(list.body)).not.toContain(r.body.secret);
  });

  it('changes url, events and description, disables and enables; rotates the secret; deletes', async () => {
    const { body: ep } = await request(t.app).post('/v1/webhooks').send({ url: 'https://example.com/a', description: 'x' });
    const p = await request(t.app).patch(`/v1/webhooks/${ep.id}`).send({ url: 'https://example.com/b', events: ['notification.completed'], description: null, enabled: false });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ url: 'https://example.com/b', events: ['notification.completed'], enabled: false, disabledReason: 'manual', disabledAt: expect.any(String) });
    expect(p.body).not.toHaveProperty('description');
    const on = await request(t.app).patch(`/v1/webhooks/${ep.id}`).send({ enabled: true });
    expect(on.body).toMatchObject({ enabled: true });
    expect(on.body).not.toHaveProperty('disabledReason');
    const rotated = await request(t.app).post(`/v1/webhooks/${ep.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(SECRET);
    expect(rotated.body.secret).not.toBe(ep.secret);
    expect((await t.store.webhooks.getEndpointById(ep.id))!.secret).toBe(rotated.body.secret);
    expect((await request(t.app).delete(`/v1/webhooks/${ep.id}`)).status).toBe(204);
    expect((await request(t.app).get(`/v1/webhooks/${ep.id}`)).status).toBe(404);
    expect((await request(t.app).delete(`/v1/webhooks/${ep.id}`)).status).toBe(404);
    expect((await request(t.app).get(`/v1/webhooks/${ep.id}/deliveries`)).status).toBe(404);
  });

  it('names each bad field: not http(s), unknown or repeated event types, unknown properties, an empty PATCH', async () => {
    const bad = await request(t.app).post('/v1/webhooks').send({ url: 'ftp://example.com/x', events: ['message.teleported'], colour: 'red' });
    expect(bad.status).toBe(400);
    // Array items are named events.0 or events[0] (main's newer spelling): either names the item.
    expect(fieldsOf(bad.body).map((f) => f.replace(/\[(\d+)\]/g, '.$1')).sort()).toEqual(['colour', 'events.0', 'url']);
    expect(fieldsOf((await request(t.app).post('/v1/webhooks').send({})).body)).toEqual(['url']);
    const twice = await request(t.app).post('/v1/webhooks').send({ url: 'https://example.com', events: ['message.sent', 'message.sent'] });
    expect([twice.status, fieldsOf(twice.body)]).toEqual([400, ['events']]);
    const { body: ep } = await request(t.app).post('/v1/webhooks').send({ url: 'https://example.com/a' });
    const empty = await request(t.app).patch(`/v1/webhooks/${ep.id}`).send({});
    expect([empty.status, fieldsOf(empty.body)]).toEqual([400, ['body']]);
    const notAnId = await request(t.app).get('/v1/webhooks/we_!');
    expect([notAnId.status, fieldsOf(notAnId.body)]).toEqual([400, ['webhookId']]);
    expect((await t.store.webhooks.listEndpoints('default', { limit: 10, offset: 0 })).total).toBe(1);
  });

  it('refuses loopback, private and link-local URLs with 422 naming url, and stores nothing', async () => {
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://api.localhost/x', 'http://10.1.2.3/x', 'http://192.168.1.10/x', 'http://169.254.169.254/latest', 'https://[::1]/x', 'http://[fe80::1]/x', 'http://[::ffff:127.0.0.1]/x']) {
      const r = await request(t.app).post('/v1/webhooks').send({ url });
      expect({ url, status: r.status, fields: fieldsOf(r.body) }).toEqual({ url, status: 422, fields: ['url'] });
      expect(r.body.error.issues[0].reason).toMatch(/HERALD_WEBHOOKS_ALLOW_PRIVATE/);
    }
    const { body: ep } = await request(t.app).post('/v1/webhooks').send({ url: 'https://example.com/a' });
    expect((await request(t.app).patch(`/v1/webhooks/${ep.id}`).send({ url: 'http://127.0.0.1/x' })).status).toBe(422);
    expect((await t.store.webhooks.listEndpoints('default', { limit: 10, offset: 0 })).items.map((e) => e.url)).toEqual(['https://example.com/a']);
  });

  it("another workspace's endpoints are absent: 404, never listed", async () => {
    await t.store.workspaces.create({ id: 'other', name: 'Other' });
    const mine = await t.store.webhooks.createEndpoint({ workspaceId: 'other', id: 'we_othersEndpoint00000001', url: 'https://o.example', events: [], secret: 'whsec_eA==', enabled: true });
    expect((await request(t.app).get(`/v1/webhooks/${mine.id}`)).status).toBe(404);
    expect((await request(t.app).patch(`/v1/webhooks/${mine.id}`).send({ enabled: false })).status).toBe(404);
    expect((await request(t.app).post(`/v1/webhooks/${mine.id}/rotate`)).status).toBe(404);
    expect((await request(t.app).get('/v1/webhooks')).body.total).toBe(0);
    expect((await t.store.webhooks.getEndpointById(mine.id))!.enabled).toBe(true);
  });
});

test('with HERALD_WEBHOOKS_ALLOW_PRIVATE=true a loopback URL is accepted', async () => {
  const t = await makeApp({ 'webhooks.allowPrivate': true });
  expect(loadConfig({ HERALD_WEBHOOKS_ALLOW_PRIVATE: 'true' }).webhooks.allowPrivate).toBe(true);
  expect(loadConfig({}).webhooks.allowPrivate).toBe(false);
  const r = await request(t.app).post('/v1/webhooks').send({ url: 'http://127.0.0.1:9/x' });
  expect(r.status).toBe(201);
  await t.store.close();
});

test("a provider id may not start with 'we_' (the client's endpoints own that prefix)", () => {
  expect(() => loadConfig({}, { 'providers.sms': [{ id: 'we_sms', type: 'outbox' }] })).toThrow(/providers\.sms\.0\.id.*may not start with 'we_'/);
});

describe('one prefix, two kinds of webhook', () => {
  let fake: FakeTwilio;
  let herald: RunningHerald;
  beforeAll(async () => {
    fake = await startFakeTwilio();
    herald = await startTestHerald(
      testConfig('embedded', {
        'providers.sms': [{ id: 'sms-t', type: 'twilio', options: { accountSid: fake.accountSid, authToken: fake.authToken, from: '+15005550006', apiUrl: fake.url } }],
      }),
      'server',
    );
  });
  afterAll(async () => {
    await disposeTestHerald(herald);
    await fake.close();
  });

  it('a provider report to /v1/webhooks/<providerId> still reaches the provider; we_ ids reach the client routes', async () => {
    const params = { MessageSid: 'SM00000000000000000000000000000000', MessageStatus: 'delivered' };
    for (const path of ['/v1/webhooks/sms-t', '/v1/webhooks/twilio/sms-t']) {
      const signature = twilio.getExpectedTwilioSignature(fake.authToken, `${herald.url}${path}`, params);
      const report = await request(herald.url!).post(path).type('form').set('X-Twilio-Signature', signature).send(params);
      expect({ path, status: report.status, body: report.body }).toEqual({ path, status: 200, body: { received: 1, applied: 0 } });
    }
    const unsigned = await request(herald.url!).post('/v1/webhooks/sms-t').type('form').send(params);
    expect(unsigned.status).toBe(403);
    expect((await request(herald.url!).post('/v1/webhooks/nobody').send({})).body.error.message).toBe("no provider 'nobody'");

    const created = await request(herald.url!).post('/v1/webhooks').send({ url: 'https://example.com/h' });
    expect(created.status).toBe(201);
    expect((await request(herald.url!).get(`/v1/webhooks/${created.body.id}`)).body).toMatchObject({ id: created.body.id });
    expect((await request(herald.url!).get(`/v1/webhooks/${created.body.id}/deliveries`)).body).toMatchObject({ total: 0 });
    expect((await request(herald.url!).post(`/v1/webhooks/${created.body.id}/rotate`)).status).toBe(200);
    const unknown = await request(herald.url!).get('/v1/webhooks/we_doesNotExist000000000000');
    expect([unknown.status, unknown.body.error.message]).toEqual([404, "webhook endpoint 'we_doesNotExist000000000000' not found"]);
    expect((await request(herald.url!).get('/v1/webhooks')).body.total).toBe(1);
    // The rest of the rule: a provider path takes GET and POST only; POST to a we_ id is no provider.
    const patchProvider = await request(herald.url!).patch('/v1/webhooks/sms-t').send({ enabled: false });
    expect([patchProvider.status, patchProvider.headers.allow]).toEqual([405, 'GET, HEAD, POST']);
    const postEndpoint = await request(herald.url!).post(`/v1/webhooks/${created.body.id}`).send({});
    expect([postEndpoint.status, postEndpoint.body.error.message]).toEqual([404, `no provider '${created.body.id}'`]);
  });
});
