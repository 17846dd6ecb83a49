// Delivery reports through POST /v1/webhooks: signed Twilio status callbacks, forward-only
// statuses, multi-part messages, and a Vonage DLR; on MongoDB + RabbitMQ with real providers.
import express from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { webhookRouter } from '../../src/http/routes/webhooks';
import { createLogger } from '../../src/log/logger';
import { createProvider } from '../../src/providers/registry';
import type { DeliveryReport } from '../../src/providers/types';
import type { Message } from '../../src/domain/types';
import type { RunningHerald } from '../../src/runtime';
import { deliverWebhook, startFakeVonage, type FakeVonage } from '../support/fake-sms-apis';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';
import { requireServices } from '../support/services';

const LONG_TEXT = 'alpha bravo charlie delta echo foxtrot golf';

let fakeTwilio: FakeTwilio;
let vonage: FakeVonage;
let herald: RunningHerald;
let seq = 0;

beforeAll(async () => {
  await requireServices(['mongo', 'amqp']);
  fakeTwilio = await startFakeTwilio();
  vonage = await startFakeVonage();
  const config = testConfig('real', {
    'sms.maxLength': 20,
    'providers.refreshMs': 100,
    'providers.sms': [
      { id: 'sms-t', type: 'twilio', options: { accountSid: fakeTwilio.accountSid, authToken: fakeTwilio.authToken, from: '+15005550006', apiUrl: fakeTwilio.url } },
      { id: 'sms-v', type: 'vonage', options: { apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, from: 'Herald', baseUrl: vonage.url } },
    ],
  });
  herald = await startTestHerald(config);
  const store = herald.store;
  await store.programs.create('default', { id: 'p', name: 'P' });
  await store.eventTypes.create('default', { id: 'short', programId: 'p', name: 'Short', templates: { sms: { text: 'Hello {{user.name}}' } } });
  await store.eventTypes.create('default', { id: 'long', programId: 'p', name: 'Long', templates: { sms: { text: LONG_TEXT } } });
});

afterAll(async () => {
  await disposeTestHerald(herald);
  await fakeTwilio?.close();
  await vonage?.close();
});

/** One new subscriber, one notification of `eventTypeId`: resolves the message once it is sent. */
async function sendOne(eventTypeId: string): Promise<Message> {
  const n = ++seq;
  const userId = `u${n}`;
  await herald.store.users.create('default', { id: userId, name: `User ${n}`, phone: `+25470000${String(n).padStart(4, '0')}` });
  await herald.store.subscriptions.create('default', { id: `s${n}`, userId, programId: 'p', eventTypeId, channels: ['sms'] });
  const r = await request(herald.url!).post('/v1/notifications').send({ programId: 'p', eventTypeId, startTime: new Date().toISOString() });
  expect(r.status).toBe(202);
  // Later notifications of the same event type reach earlier subscribers too: pick this user's message.
  return eventually(`message of ${userId} sent`, async () => {
    const m = await herald.store.messages.get(`${r.body.id}:${userId}:sms`);
    return m?.status === 'sent' ? m : undefined;
  });
}

const twilioUrl = () => `${herald.url}/v1/webhooks/twilio/sms-t`;
const get = async (id: string) => (await herald.store.messages.get(id))!;

describe('Twilio status callbacks', () => {
  it('moves a message to delivered, keeping the raw status and history', async () => {
    const m = await sendOne('short');
    const sid = m.providerMessageIds![0];
    const r = await fakeTwilio.sendStatusCallback(sid, 'delivered', { url: twilioUrl() });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ received: 1, applied: 1 });
    const after = await get(m.id);
    expect(after).toMatchObject({ status: 'delivered', providerStatus: 'delivered', deliveredAt: expect.any(Date) });
    expect(after.statusHistory.at(-1)).toMatchObject({ status: 'delivered', providerStatus: 'delivered', reason: 'delivery report' });
  });

  it('records an unknown status (providerStatus, history, a warning), answers 200, and never moves a message back', async () => {
    const m = await sendOne('short');
    const sid = m.providerMessageIds![0];
    const r = await fakeTwilio.sendStatusCallback(sid, 'teleported', { url: twilioUrl() });
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { received: 1, applied: 0 }]);
    const noted = await get(m.id);
    expect(noted).toMatchObject({ status: 'sent', providerStatus: 'teleported' });
    expect(noted.statusHistory.at(-1)).toMatchObject({ status: 'sent', provider: 'sms-t', providerStatus: 'teleported' });
    const warned = await eventually('the warning in the consolidated log', async () => {
      const lines = await herald.store.logs.query({ messageId: m.id, level: 'warn', limit: 50 });
      return lines.find((l) => l.message.includes('unknown provider status'));
    });
    expect(warned.meta).toMatchObject({ providerStatus: 'teleported', provider: 'sms-t' });
    await fakeTwilio.sendStatusCallback(sid, 'delivered', { url: twilioUrl() });
    for (const late of ['teleported', 'queued', 'sending', 'accepted']) {
      expect((await fakeTwilio.sendStatusCallback(sid, late, { url: twilioUrl() })).status).toBe(200);
    }
    const after = await get(m.id);
    expect(after.status).toBe('delivered');
    const fromDelivered = after.statusHistory.slice(after.statusHistory.findIndex((h) => h.status === 'delivered'));
    expect(fromDelivered.map((h) => h.status)).toEqual(['delivered', 'delivered']);
    expect(fromDelivered[1].providerStatus).toBe('teleported');
  });

  it('answers 403 BAD_SIGNATURE to a forged or unsigned callback and changes nothing', async () => {
    const m = await sendOne('short');
    const sid = m.providerMessageIds![0];
    const forged = await fakeTwilio.sendStatusCallback(sid, 'undelivered', { url: twilioUrl(), authToken: 'not-the-token' });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body)).toMatchObject({ error: { code: 'BAD_SIGNATURE' } });
    const unsigned = await fakeTwilio.sendStatusCallback(sid, 'undelivered', { url: twilioUrl(), signature: null });
    expect(unsigned.status).toBe(403);
    // Signed for another URL (the instance-id route) but posted to this one: still refused.
    const params = { MessageSid: sid, MessageStatus: 'undelivered' };
    const signature = twilio.getExpectedTwilioSignature(fakeTwilio.authToken, `${herald.url}/v1/webhooks/sms-t`, params);
    const moved = await request(herald.url!).post('/v1/webhooks/twilio/sms-t').type('form').set('X-Twilio-Signature', signature).send(params);
    expect(moved.status).toBe(403);
    expect(await get(m.id)).toMatchObject({ status: 'sent', statusHistory: m.statusHistory });
  });

  it('never moves a final status back: a late sent after delivered, and a repeated delivered, change nothing', async () => {
    const m = await sendOne('short');
    const sid = m.providerMessageIds![0];
    expect((await fakeTwilio.sendStatusCallback(sid, 'delivered', { url: twilioUrl() })).status).toBe(200);
    const delivered = await get(m.id);
    for (const late of ['sent', 'queued', 'delivered', 'undelivered']) {
      const r = await fakeTwilio.sendStatusCallback(sid, late, { url: twilioUrl(), errorCode: '30003' });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ received: 1, applied: 0 });
    }
    expect(await get(m.id)).toEqual(delivered);
  });

  it('keeps the provider error code of an undelivered report; the instance-id route works too', async () => {
    const m = await sendOne('short');
    const sid = m.providerMessageIds![0];
    const r = await fakeTwilio.sendStatusCallback(sid, 'undelivered', { url: `${herald.url}/v1/webhooks/sms-t`, errorCode: '30003' });
    expect(r.status).toBe(200);
    expect(await get(m.id)).toMatchObject({
      status: 'undelivered',
      providerStatus: 'undelivered',
      error: { code: 'UNDELIVERED', providerCode: '30003' },
    });
  });

  it('delivers a three-part SMS only once every part is delivered', async () => {
    const m = await sendOne('long');
    expect(m.sms!.parts).toEqual(['alpha bravo charlie', 'delta echo foxtrot', 'golf']);
    expect(m.providerMessageIds).toHaveLength(3);
    const [p1, p2, p3] = m.providerMessageIds!;
    await fakeTwilio.sendStatusCallback(p2, 'delivered', { url: twilioUrl() });
    await fakeTwilio.sendStatusCallback(p1, 'delivered', { url: twilioUrl() });
    await fakeTwilio.sendStatusCallback(p1, 'sent', { url: twilioUrl() });
    expect(await get(m.id)).toMatchObject({ status: 'sent', partStatuses: { [p1]: 'delivered', [p2]: 'delivered' } });
    await fakeTwilio.sendStatusCallback(p3, 'delivered', { url: twilioUrl() });
    const done = await get(m.id);
    expect(done).toMatchObject({ status: 'delivered', partStatuses: { [p1]: 'delivered', [p2]: 'delivered', [p3]: 'delivered' } });
    expect(done.statusHistory.at(-1)!.reason).toBe('delivery report for part 3 of 3');
  });

  it('acknowledges a report for an unknown message with 200, and answers 404 for an unknown provider', async () => {
    const r = await fakeTwilio.sendStatusCallback(`SM${'0'.repeat(32)}`, 'delivered', { url: twilioUrl() });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ received: 1, applied: 0 });
    expect((await request(herald.url!).post('/v1/webhooks/nobody').send({})).status).toBe(404);
    expect((await request(herald.url!).post('/v1/webhooks/vonage/sms-t').send({})).status).toBe(404);
  });
});

describe('a Vonage DLR, after switching the route to Vonage at run time', () => {
  afterAll(async () => {
    await request(herald.url!).patch('/v1/providers/sms-t').send({ paused: false });
  });

  it('maps expired and failed DLRs to expired and undelivered', async () => {
    expect((await request(herald.url!).patch('/v1/providers/sms-t').send({ paused: true })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // one refresh period of the worker
    const expired = await sendOne('short');
    const failed = await sendOne('short');
    expect([expired.provider, failed.provider]).toEqual(['sms-v', 'sms-v']);
    const url = `${herald.url}/v1/webhooks/vonage/sms-v`;
    expect((await deliverWebhook(vonage.deliveryReport(expired.providerMessageIds![0], 'expired', { url }))).status).toBe(200);
    expect((await deliverWebhook(vonage.deliveryReport(failed.providerMessageIds![0], 'failed', { url, method: 'GET', errCode: '6' }))).status).toBe(200);
    expect(await get(expired.id)).toMatchObject({ status: 'expired', providerStatus: 'expired' });
    expect(await get(failed.id)).toMatchObject({ status: 'undelivered', providerStatus: 'failed', error: { providerCode: '6' } });
  });
});

describe('PATCH /v1/providers/:id', () => {
  it('validates the body and knows only configured providers', async () => {
    const api = request(herald.url!);
    expect((await api.patch('/v1/providers/nobody').send({ paused: true })).status).toBe(404);
    expect((await api.patch('/v1/providers/sms-t').send({})).status).toBe(400);
    expect((await api.patch('/v1/providers/sms-t').send({ paused: 'yes' })).status).toBe(400);
    expect((await api.patch('/v1/providers/sms-t').send({ weight: -1 })).status).toBe(400);
    expect((await api.patch('/v1/providers/sms-t').send({ colour: 'red' })).status).toBe(400);
    const r = await api.patch('/v1/providers/sms-v').send({ order: 7, weight: 2, ratePerSecond: 10 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: 'sms-v', type: 'vonage', order: 7, weight: 2, ratePerSecond: 10, state: 'active' });
    const cleared = await api.patch('/v1/providers/sms-v').send({ ratePerSecond: null, weight: 0, order: 1 });
    expect(cleared.body).toMatchObject({ ratePerSecond: null, weight: 0, order: 1 });
    const doc = (await api.get('/openapi.json')).body;
    expect(Object.keys(doc.paths['/v1/providers/{id}'])).toEqual(['patch']);
    expect(doc.paths['/v1/providers'].get).toBeDefined();
    // The delivery-report routes parse their own bodies but are in the document all the same.
    for (const path of ['/v1/webhooks/{providerId}', '/v1/webhooks/{type}/{providerId}']) {
      expect(Object.keys(doc.paths[path]).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths[path].post.responses).sort()).toEqual(['200', '400', '403', '404', '413', '500']);
    }
  });
});

describe('behind a proxy', () => {
  it('checks the signature against HERALD_PUBLIC_URL + the path the provider called', async () => {
    const publicUrl = 'https://herald.example.org/base';
    const provider = createProvider(
      { id: 'sms-t', type: 'twilio', channel: 'sms', options: { accountSid: fakeTwilio.accountSid, authToken: fakeTwilio.authToken, from: '+15005550006' } },
      { dataDir: '/tmp', publicUrl },
    );
    const applied: DeliveryReport[] = [];
    const app = express();
    const reports = { apply: async (_id: string, r: DeliveryReport) => (applied.push(r), { result: 'unknown-message' as const }) };
    app.use('/v1/webhooks', webhookRouter({ config: { publicUrl, http: { bodyLimit: '100kb' } }, logger: createLogger('t', { silent: true }), reports, provider: () => provider }));
    const params = { MessageSid: 'SM1', MessageStatus: 'delivered' };
    const sign = (url: string) => twilio.getExpectedTwilioSignature(fakeTwilio.authToken, url, params);
    const good = await request(app).post('/v1/webhooks/twilio/sms-t?x=1').type('form').set('X-Twilio-Signature', sign(`${publicUrl}/v1/webhooks/twilio/sms-t?x=1`)).send(params);
    expect(good.status).toBe(200);
    expect(applied).toEqual([{ providerMessageId: 'SM1', status: 'delivered', providerStatus: 'delivered' }]);
    const local = await request(app).post('/v1/webhooks/twilio/sms-t').type('form').set('X-Twilio-Signature', sign('http://127.0.0.1/v1/webhooks/twilio/sms-t')).send(params);
    expect(local.status).toBe(403);
  });
});
