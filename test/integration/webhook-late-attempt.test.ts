// A webhook attempt whose store read answers late (after store.callTimeoutMs gave its slot back and after
// its lease ended) must not POST: by then the delivery is due again and another attempt owns it, so the
// endpoint would get the event twice. Real SQLite store, real poster, a real HTTP receiver; the attempt's
// endpoint read is the one call made to answer late.
import path from 'node:path';
import { createDeliverer } from '../../src/services/webhooks/deliver';
import { createWebhookPoster } from '../../src/services/webhooks/http-post';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { createWebhookWorker } from '../../src/workers/webhooks';
import { tempDir } from '../support/herald';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

jest.setTimeout(30_000);
const quiet = { info() {}, warn() {}, debug() {}, error() {} } as never;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a webhook attempt that gets its store answer after its lease', () => {
  let store: SqliteStore;
  let receiver: Receiver;
  beforeEach(async () => {
    store = createSqliteStore(path.join(tempDir('late-attempt-'), 'herald.db'));
    await store.connect();
    receiver = await startReceiver();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await receiver.close();
    await store.close();
  });

  it('does not POST: the endpoint gets the event once', async () => {
    await store.webhooks.createEndpoint({ workspaceId: 'default', id: 'we_a', url: `${receiver.url}/hook`, events: [], secret: 'whsec_x', enabled: true });
    const now = new Date();
    await store.webhooks.enqueueDeliveries([
      { id: 'd1', workspaceId: 'default', endpointId: 'we_a', eventId: 'evt_late', eventType: 'message.sent', payload: '{}', retryUntil: new Date(now.getTime() + 3_600_000), nextAttemptAt: now },
    ]);
    const real = store.webhooks.getEndpointById.bind(store.webhooks);
    let calls = 0;
    let firstAnswered = false;
    // The first attempt's endpoint read answers 2.5 s late: after its bound (0.3 + 0.2 s) and its lease (1.6 s).
    jest.spyOn(store.webhooks, 'getEndpointById').mockImplementation(async (id) => {
      if (calls++ > 0) return real(id);
      await sleep(2_500);
      firstAnswered = true;
      return real(id);
    });
    const timeoutMs = 300;
    const config = { webhooks: { concurrencyPerEndpoint: 1, pollMs: 50, timeoutMs, retentionDays: 1, retryBaseMs: 1_000, retryMaxMs: 10_000, disableAfterMs: 86_400_000 }, store: { callTimeoutMs: 200 } };
    const poster = createWebhookPoster({ allowPrivate: true, timeoutMs, maxResponseBytes: 1024 });
    const worker = createWebhookWorker({
      store,
      bus: { consume: async () => ({ cancel: async () => undefined }) } as never,
      logger: quiet,
      fanOut: { handle: async () => 0 } as never,
      deliverer: createDeliverer({ store, poster, logger: quiet, config }),
      config,
    });
    await worker.start();
    try {
      const end = Date.now() + 10_000;
      while (!(firstAnswered && receiver.forEvent('evt_late').length > 0) && Date.now() < end) await sleep(50);
      // The second attempt (after the lease) delivered it; let the first one finish what it does.
      await sleep(1_000);
      expect(receiver.forEvent('evt_late').length).toBe(1);
      expect((await store.webhooks.getDelivery('default', 'we_a', 'd1'))?.state).toBe('succeeded');
    } finally {
      await worker.stop();
      await poster.close();
    }
  });
});
