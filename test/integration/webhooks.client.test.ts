// Status webhooks to the client, end to end on the embedded store and queue: a registered endpoint
// is told of message status changes and notification completion, signed the Standard Webhooks way
// (checked here with an independent implementation), retried on 500, timeouts and 429 (Retry-After),
// not retried on 400, replayable, and disabled after failing continuously.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';
import { startReceiver, verifyStandardWebhook, type Receiver } from '../support/webhook-receiver';

let herald: RunningHerald;
let receiver: Receiver;
let seq = 0;

const WEBHOOKS = {
  'webhooks.allowPrivate': true,
  'webhooks.pollMs': 50,
  'webhooks.retryBaseMs': 150,
  'webhooks.retryMaxMs': 300,
  'webhooks.timeoutMs': 800,
  'webhooks.endpointCacheMs': 100,
  'webhooks.disableAfterMs': 60_000,
};

beforeAll(async () => {
  receiver = await startReceiver();
  herald = await startTestHerald(testConfig('embedded', WEBHOOKS));
  await herald.store.programs.create('default', { id: 'p', name: 'P' });
  await herald.store.eventTypes.create('default', { id: 'e', programId: 'p', name: 'E', templates: { sms: { text: 'Hello {{user.name}}' } } });
});
afterAll(async () => {
  await disposeTestHerald(herald);
  await receiver.close();
});

const api = () => request(herald.url!);

/** The verification snippet of the README, run as a client would paste it. */
type Verify = (secret: string, headers: Record<string, unknown>, rawBody: string) => boolean;
function readmeVerifier(): Verify {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const block = readme.split('<!-- webhook-verify -->')[1].split('<!-- /webhook-verify -->')[0];
  const code = /```js\n([\s\S]*?)```/.exec(block)![1];
  return new Function('require', `${code}\nreturn verifyWebhook;`)(require) as Verify;
}

async function register(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const r = await api().post('/v1/webhooks').send(body);
  expect(r.status).toBe(201);
  return r.body;
}

/** A new subscriber (with a phone unless `phone` is null) and a notification to them: resolves the message id. */
async function notifyOne(phone: string | null = `+2547100${String(++seq).padStart(5, '0')}`): Promise<{ notificationId: string; messageId: string }> {
  const n = ++seq;
  const userId = `u${n}`;
  await herald.store.users.create('default', { id: userId, name: `User ${n}`, ...(phone ? { phone } : {}) });
  await herald.store.programs.create('default', { id: `p${n}`, name: 'P' });
  await herald.store.eventTypes.create('default', { id: 'e', programId: `p${n}`, name: 'E', templates: { sms: { text: 'Hello {{user.name}}' } } });
  await herald.store.subscriptions.create('default', { id: `s${n}`, userId, programId: `p${n}`, eventTypeId: 'e', channels: ['sms'] });
  const r = await api().post('/v1/notifications').send({ programId: `p${n}`, eventTypeId: 'e', startTime: new Date().toISOString() });
  expect(r.status).toBe(202);
  return { notificationId: r.body.id, messageId: `${r.body.id}:${userId}:sms` };
}

const deliveries = async (endpointId: string, q = '') => (await api().get(`/v1/webhooks/${endpointId}/deliveries${q}`)).body.items as any[];
const eventOf = (messageId: string, type: string) => receiver.received.find((r) => r.json?.type === type && r.json?.data?.messageId === messageId);

describe('events', () => {
  it('tells a message queued, sent, then delivered, then the notification complete; each signed and verifiable', async () => {
    const ep = await register({ url: `${receiver.url}/all`, description: 'everything' });
    const { notificationId, messageId } = await notifyOne();
    const queued = await eventually('message.queued webhook', () => eventOf(messageId, 'message.queued'));
    expect(queued.json.data).toMatchObject({ status: 'queued', previousStatus: 'accepted' });
    const sent = await eventually('message.sent webhook', () => eventOf(messageId, 'message.sent'));
    expect(sent.json).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'message.sent',
      workspaceId: 'default',
      timestamp: expect.any(String),
      data: { messageId, notificationId, channel: 'sms', status: 'sent', previousStatus: 'sending', provider: expect.any(String) },
    });
    expect(sent.headers['webhook-id']).toBe(sent.json.id);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(verifyStandardWebhook(ep.secret, sent.headers, sent.body)).toBe(true);
    expect(verifyStandardWebhook(ep.secret, sent.headers, sent.body.replace('sent', 'SENT'))).toBe(false);
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, sent.headers, sent.body)).toBe(false);
    // The README's snippet says the same.
    const verifyWebhook = readmeVerifier();
    expect(verifyWebhook(ep.secret, sent.headers, sent.body)).toBe(true);
    expect(verifyWebhook(ep.secret, sent.headers, sent.body.replace('sent', 'SENT'))).toBe(false);
    expect(verifyWebhook(ep.secret, { ...sent.headers, 'webhook-timestamp': String(Number(sent.headers['webhook-timestamp']) - 600) }, sent.body)).toBe(false);

    // A provider's delivery report moves it on, through the same message repo.
    await herald.store.messages.transition(messageId, ['sent'], 'delivered', { reason: 'delivery report' });
    const delivered = await eventually('message.delivered webhook', () => eventOf(messageId, 'message.delivered'));
    expect(delivered.json.data).toMatchObject({ status: 'delivered', previousStatus: 'sent', reason: 'delivery report' });
    const done = await eventually('notification.completed webhook', () =>
      receiver.received.find((r) => r.json?.type === 'notification.completed' && r.json.data.notificationId === notificationId),
    );
    expect(done.json.data).toMatchObject({ notificationId, status: 'dispatched', total: 1, counts: { delivered: 1 } });
    expect(verifyStandardWebhook(ep.secret, done.headers, done.body)).toBe(true);
    const ds = await eventually('three deliveries succeeded', async () => {
      const items = (await deliveries(ep.id)).filter((d) => d.event.data.notificationId === notificationId);
      return items.length >= 3 && items.every((d) => d.state === 'succeeded') ? items : undefined;
    });
    expect(ds[0].attempts[0]).toMatchObject({ statusCode: 200, latencyMs: expect.any(Number), at: expect.any(String) });
    await api().delete(`/v1/webhooks/${ep.id}`).expect(204);
  });

  it('sends only the event types an endpoint asks for; a notification with nobody to reach completes at once', async () => {
    const failures = await register({ url: `${receiver.url}/failures`, events: ['message.rejected', 'notification.completed'] });
    const { notificationId, messageId } = await notifyOne(null);
    const rejected = await eventually('message.rejected webhook', () => receiver.received.find((r) => r.path === '/hook/failures' && r.json?.data?.messageId === messageId));
    expect(rejected.json).toMatchObject({ type: 'message.rejected', data: { status: 'rejected' } });
    await eventually('completion', () => receiver.received.find((r) => r.path === '/hook/failures' && r.json?.type === 'notification.completed' && r.json.data.notificationId === notificationId));
    const other = await notifyOne();
    await eventually('the other message sent', async () => (await herald.store.messages.get(other.messageId))?.status === 'sent');
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.received.filter((r) => r.path === '/hook/failures' && r.json?.data?.messageId === other.messageId)).toEqual([]);
    await api().delete(`/v1/webhooks/${failures.id}`).expect(204);
  });
});

describe('retries', () => {
  let ep: { id: string; secret: string };
  beforeAll(async () => {
    ep = await register({ url: `${receiver.url}/retry`, events: ['message.sent'] });
  });
  afterAll(async () => {
    receiver.setAnswer(() => ({ status: 200 }));
    await api().delete(`/v1/webhooks/${ep.id}`);
  });

  async function sentEventWith(answer: (nth: number) => ReturnType<Parameters<Receiver['setAnswer']>[0]>): Promise<string> {
    receiver.setAnswer((r, nth) => (r.path === '/hook/retry' ? answer(nth) : { status: 200 }));
    const { messageId } = await notifyOne();
    const first = await eventually('first attempt', () => receiver.received.find((r) => r.path === '/hook/retry' && r.json?.data?.messageId === messageId));
    return first.headers['webhook-id'] as string;
  }
  const deliveryOf = async (eventId: string) => (await deliveries(ep.id, `?eventId=${eventId}`))[0];

  it('retries a 500 with the same event id until it succeeds, every attempt recorded', async () => {
    const id = await sentEventWith((nth) => (nth <= 2 ? { status: 500, body: 'boom' } : { status: 200 }));
    const d = await eventually('succeeded after two 500s', async () => ((await deliveryOf(id))?.state === 'succeeded' ? deliveryOf(id) : undefined));
    expect(receiver.forEvent(id)).toHaveLength(3);
    expect(d.attempts.map((a: any) => a.statusCode)).toEqual([500, 500, 200]);
    expect(d.attempts[0].error).toBe('HTTP 500: boom');
    for (const r of receiver.forEvent(id)) expect(verifyStandardWebhook(ep.secret, r.headers, r.body)).toBe(true);
    const metrics = (await api().get('/metrics')).text;
    const count = (result: string) => Number(new RegExp(`herald_webhook_attempt_seconds_count\\{result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('retry')).toBeGreaterThanOrEqual(2);
    expect(count('succeeded')).toBeGreaterThanOrEqual(1);
  });

  it('retries an attempt that got no answer within the timeout', async () => {
    const id = await sentEventWith((nth) => (nth === 1 ? 'hang' : { status: 204 }));
    const d = await eventually('succeeded after a timeout', async () => ((await deliveryOf(id))?.state === 'succeeded' ? deliveryOf(id) : undefined));
    expect(d.attempts[0]).toMatchObject({ error: 'no answer within 800 ms' });
    expect(d.attempts[0].statusCode).toBeUndefined();
    expect(d.attempts[1].statusCode).toBe(204);
  });

  it('waits as long as a 429 Retry-After asks (longer than its own backoff)', async () => {
    const id = await sentEventWith((nth) => (nth === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200 }));
    await eventually('second attempt', () => receiver.forEvent(id).length === 2, 10_000);
    const [a, b] = receiver.forEvent(id);
    // The backoff alone would be under 300 ms.
    expect(b.at - a.at).toBeGreaterThanOrEqual(1900);
  });

  it('does not retry a 400: the delivery is failed and visible, and a replay sends it again with the same id', async () => {
    const id = await sentEventWith(() => ({ status: 400, body: 'unknown field' }));
    const d = await eventually('failed', async () => ((await deliveryOf(id))?.state === 'failed' ? deliveryOf(id) : undefined));
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.forEvent(id)).toHaveLength(1);
    expect(d).toMatchObject({ attemptCount: 1, lastError: 'HTTP 400: unknown field' });
    expect((await deliveries(ep.id, '?state=failed')).map((x) => x.id)).toContain(d.id);

    receiver.setAnswer(() => ({ status: 200 }));
    const replay = await api().post(`/v1/webhooks/${ep.id}/deliveries/${d.id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ id: d.id, state: 'pending', eventId: id });
    await eventually('replayed and succeeded', async () => (await deliveryOf(id))?.state === 'succeeded');
    expect(receiver.forEvent(id)).toHaveLength(2);
    expect(receiver.forEvent(id)[1].body).toBe(receiver.forEvent(id)[0].body);
    expect((await api().post(`/v1/webhooks/${ep.id}/deliveries/wd_nope/replay`)).status).toBe(404);
  });
});
