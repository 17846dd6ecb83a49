// Webhook delivery on both backends (embedded SQLite store + queue; MongoDB + RabbitMQ): a slow
// endpoint delays neither sending nor another endpoint, an endpoint failing continuously is
// disabled (flag and log line) and can be enabled again, and a redelivered event batch records
// nothing twice.
import request from 'supertest';
import { emitWebhookEvent, makeWebhookEvent } from '../../src/services/webhooks';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';
import { requireServices } from '../support/services';
import { startReceiver, verifyStandardWebhook, type Receiver } from '../support/webhook-receiver';

describe.each<Backend>(['embedded', 'real'])('webhook delivery on %s', (backend) => {
  let herald: RunningHerald;
  let receiver: Receiver;
  let seq = 0;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    receiver = await startReceiver();
    herald = await startTestHerald(
      testConfig(backend, {
        'webhooks.allowPrivate': true,
        'webhooks.pollMs': 50,
        'webhooks.retryBaseMs': 100,
        'webhooks.retryMaxMs': 200,
        'webhooks.timeoutMs': 15_000,
        'webhooks.concurrencyPerEndpoint': 2,
        'webhooks.disableAfterMs': 1_000,
        'webhooks.endpointCacheMs': 100,
      }),
    );
    await herald.store.programs.create('default', { id: 'p', name: 'P' });
  });
  afterAll(async () => {
    // Hanging answers end first, so the worker's attempts in flight end at once.
    await receiver?.close();
    await disposeTestHerald(herald);
  });

  const api = () => request(herald.url!);
  const register = async (path: string, events?: string[]) => {
    const r = await api().post('/v1/webhooks').send({ url: `${receiver.url}/${path}`, ...(events ? { events } : {}) });
    expect(r.status).toBe(201);
    return r.body as { id: string; secret: string };
  };
  /**
   * `count` new subscribers of an event type of their own, then one notification of it: resolves the message ids.
   * Its own: with one event type, every earlier test's subscribers got a message (and their endpoint a delivery) too.
   */
  async function notify(count: number): Promise<string[]> {
    const users: string[] = [];
    const eventTypeId = `e${++seq}`;
    await herald.store.eventTypes.create('default', { id: eventTypeId, programId: 'p', name: eventTypeId, templates: { sms: { text: 'Hi {{user.name}}' } } });
    for (let i = 0; i < count; i++) {
      const id = `${backend}-u${++seq}`;
      users.push(id);
      await herald.store.users.create('default', { id, name: id, phone: `+2547200${String(seq).padStart(5, '0')}` });
      await herald.store.subscriptions.create('default', { id: `s-${id}`, userId: id, programId: 'p', eventTypeId, channels: ['sms'] });
    }
    const r = await api().post('/v1/notifications').send({ programId: 'p', eventTypeId, startTime: new Date().toISOString() });
    expect(r.status).toBe(202);
    return users.map((u) => `${r.body.id}:${u}:sms`);
  }
  const sentEventsAt = (path: string, ids: string[]) =>
    receiver.received.filter((r) => r.path === `/hook/${path}` && r.json?.type === 'message.sent' && ids.includes(r.json.data.messageId));

  it('a slow endpoint delays neither sending nor another endpoint: only its own attempts wait', async () => {
    receiver.setAnswer((r) => (r.path === '/hook/slow' ? 'hang' : { status: 200 }));
    const slow = await register('slow', ['message.sent']);
    const fast = await register('fast', ['message.sent']);
    const ids = await notify(6);
    await eventually('every message sent', async () => (await Promise.all(ids.map((id) => herald.store.messages.get(id)))).every((m) => m?.status === 'sent'));
    const got = await eventually('the fast endpoint told of all six', () => (sentEventsAt('fast', ids).length === 6 ? sentEventsAt('fast', ids) : undefined));
    for (const r of got) expect(verifyStandardWebhook(fast.secret, r.headers, r.body)).toBe(true);
    // Meanwhile the slow one holds at most its two slots, none answered yet.
    expect(sentEventsAt('slow', ids).length).toBeLessThanOrEqual(2);
    const slowDeliveries = (await api().get(`/v1/webhooks/${slow.id}/deliveries`)).body;
    expect(slowDeliveries.total).toBe(6);
    expect(slowDeliveries.items.every((d: any) => d.state === 'pending' && d.attemptCount === 0)).toBe(true);
    await api().delete(`/v1/webhooks/${slow.id}`).expect(204);
    await api().delete(`/v1/webhooks/${fast.id}`).expect(204);
  });

  it('disables an endpoint that fails continuously (flag and log line); enabling it again lets a replay through', async () => {
    receiver.setAnswer((r) => (r.path === '/hook/down' ? { status: 503 } : { status: 200 }));
    const down = await register('down', ['message.sent']);
    const [messageId] = await notify(1);
    const ep = await eventually('endpoint disabled', async () => {
      const e = (await api().get(`/v1/webhooks/${down.id}`)).body;
      return e.enabled === false ? e : undefined;
    }, 20_000);
    expect(ep).toMatchObject({ disabledReason: 'failing', disabledAt: expect.any(String), failingSince: expect.any(String) });
    expect(Date.parse(ep.disabledAt) - Date.parse(ep.failingSince)).toBeGreaterThanOrEqual(1_000);
    await eventually('the log line', async () => (await herald.store.logs.query({ grep: `webhook endpoint ${down.id} disabled`, limit: 5 })).length > 0);
    const [d] = await eventually('its delivery failed', async () => {
      const items = (await api().get(`/v1/webhooks/${down.id}/deliveries?state=failed`)).body.items.filter((x: any) => x.event.data.messageId === messageId);
      return items.length ? items : undefined;
    });
    // Its one message is its one delivery: the failure that disabled it came after the first (which set failingSince),
    // so that delivery was tried at least twice. Another delivery failing first could disable it after one try.
    expect((await api().get(`/v1/webhooks/${down.id}/deliveries`)).body.total).toBe(1);
    expect(d.attemptCount).toBeGreaterThanOrEqual(2);
    expect(d.attempts.every((a: any) => a.statusCode === 503)).toBe(true);
    expect(sentEventsAt('down', [messageId]).length).toBe(d.attemptCount);
    // Disabled: nothing pending is tried again, and new events make no deliveries.
    await eventually('nothing pending', async () => (await api().get(`/v1/webhooks/${down.id}/deliveries?state=pending`)).body.total === 0);
    const tries = receiver.received.filter((r) => r.path === '/hook/down').length;
    const total = (await api().get(`/v1/webhooks/${down.id}/deliveries`)).body.total;
    await notify(1);
    await new Promise((r) => setTimeout(r, 800));
    expect(receiver.received.filter((r) => r.path === '/hook/down').length).toBe(tries);
    expect((await api().get(`/v1/webhooks/${down.id}/deliveries`)).body.total).toBe(total);

    receiver.setAnswer(() => ({ status: 200 }));
    const on = await api().patch(`/v1/webhooks/${down.id}`).send({ enabled: true });
    expect(on.body).toMatchObject({ enabled: true });
    expect(on.body).not.toHaveProperty('failingSince');
    expect((await api().post(`/v1/webhooks/${down.id}/deliveries/${d.id}/replay`)).status).toBe(202);
    await eventually('replayed', async () => (await api().get(`/v1/webhooks/${down.id}/deliveries?state=succeeded`)).body.total === 1);
    await api().delete(`/v1/webhooks/${down.id}`).expect(204);
  });

  it('the same event queued twice (as a batch the bus delivers again would be) is delivered once', async () => {
    receiver.setAnswer(() => ({ status: 200 }));
    const ep = await register('campaigns', ['campaign.completed']);
    const event = makeWebhookEvent({ workspaceId: 'default', type: 'campaign.completed', key: `c-${backend}`, data: { campaignId: `c-${backend}`, total: 3 } });
    await emitWebhookEvent(herald.bus, event);
    await emitWebhookEvent(herald.bus, makeWebhookEvent({ workspaceId: 'default', type: 'campaign.completed', key: `c-${backend}`, data: { campaignId: `c-${backend}`, total: 3 } }));
    await eventually('delivered', () => receiver.forEvent(event.id).length === 1);
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.forEvent(event.id)).toHaveLength(1);
    expect(receiver.forEvent(event.id)[0].json).toMatchObject({ type: 'campaign.completed', data: { campaignId: `c-${backend}` } });
    expect((await api().get(`/v1/webhooks/${ep.id}/deliveries`)).body.total).toBe(1);
    await api().delete(`/v1/webhooks/${ep.id}`).expect(204);
  });
});
