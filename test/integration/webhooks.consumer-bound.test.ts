// The webhook worker's queue consumer records a batch's deliveries through the store. A store call of
// that fan-out that never settles (a driver call lost in a cut) must not hold the batch for good: after
// store.callTimeoutMs the batch fails and the bus delivers it again. A call given up that lands later
// records nothing twice: each event reaches the endpoint once, with one delivery. The catch-up sweep is
// kept out of the way (sweepMs of 10 minutes), so only the queue can bring the event.
import request from 'supertest';
import { emitWebhookEvent, makeWebhookEvent } from '../../src/services/webhooks';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';
import { requireServices } from '../support/services';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

jest.setTimeout(60_000);

describe.each<Backend>(['embedded', 'real'])('the webhook queue consumer on %s, over a store that does not answer', (backend) => {
  let herald: RunningHerald;
  let receiver: Receiver;
  let seq = 0;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    receiver = await startReceiver(() => ({ status: 200 }));
    herald = await startTestHerald(
      testConfig(backend, {
        'store.callTimeoutMs': 300,
        'webhooks.allowPrivate': true,
        'webhooks.pollMs': 50,
        'webhooks.sweepMs': 600_000,
        'webhooks.endpointCacheMs': 100,
      }),
    );
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await receiver?.close();
    await disposeTestHerald(herald);
  });

  /** The next write of deliveries answers only when `release` is called (never, if it is not). */
  function holdNextEnqueue(): { release: () => void } {
    const repo = herald.store.webhooks;
    const real = repo.enqueueDeliveries.bind(repo);
    let release: () => void = () => undefined;
    jest.spyOn(repo, 'enqueueDeliveries').mockImplementationOnce(
      (ds) => new Promise((resolve, reject) => (release = () => void real(ds).then(resolve, reject))),
    );
    return { release: () => release() };
  }

  async function emitOne(path: string) {
    const r = await request(herald.url!).post('/v1/webhooks').send({ url: `${receiver.url}/${path}`, events: ['campaign.completed'] });
    expect(r.status).toBe(201);
    const key = `c-${backend}-${++seq}`;
    const event = makeWebhookEvent({ workspaceId: 'default', type: 'campaign.completed', key, data: { campaignId: key, total: 1 } });
    return { endpointId: r.body.id as string, event, emit: () => emitWebhookEvent(herald.bus, event) };
  }

  it('a batch whose delivery write never settles is delivered again and its event reaches the endpoint', async () => {
    const { endpointId, event, emit } = await emitOne('hung');
    holdNextEnqueue();
    await emit();
    await eventually('delivered after the batch came again', () => receiver.forEvent(event.id).length === 1, 20_000, 20);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.forEvent(event.id)).toHaveLength(1);
    expect((await request(herald.url!).get(`/v1/webhooks/${endpointId}/deliveries`)).body.total).toBe(1);
    await request(herald.url!).delete(`/v1/webhooks/${endpointId}`).expect(204);
  });

  it('a batch whose delivery write lands after it was given up records and delivers its event once', async () => {
    const { endpointId, event, emit } = await emitOne('late');
    const held = holdNextEnqueue();
    await emit();
    await eventually('delivered after the batch came again', () => receiver.forEvent(event.id).length === 1, 20_000, 20);
    // The given-up write lands now, after the batch was recorded again.
    held.release();
    await new Promise((r) => setTimeout(r, 800));
    expect(receiver.forEvent(event.id)).toHaveLength(1);
    const deliveries = (await request(herald.url!).get(`/v1/webhooks/${endpointId}/deliveries`)).body;
    expect(deliveries.total).toBe(1);
    expect(deliveries.items[0]).toMatchObject({ state: 'succeeded', attemptCount: 1 });
    await request(herald.url!).delete(`/v1/webhooks/${endpointId}`).expect(204);
  });
});
