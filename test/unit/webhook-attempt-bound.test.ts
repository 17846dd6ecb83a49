// The webhook worker gives an attempt's slot back after timeoutMs + store.callTimeoutMs. An attempt whose
// endpoint read answered later than store.callTimeoutMs could still start its POST (its lease allowed it
// while callTimeoutMs < timeoutMs + 1 s) and run it after the slot was freed, beside the next attempt to
// the same endpoint: more POSTs at once than concurrencyPerEndpoint. Each store call of an attempt gives
// up after callTimeoutMs, so a POST always ends before the slot is given back.
import { createDeliverer } from '../../src/services/webhooks/deliver';
import { StoreTimeoutError } from '../../src/store/call-timeout';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { info() {}, warn() {}, debug() {}, error() {} } as never;

it('an attempt whose endpoint read answers after store.callTimeoutMs makes no POST', async () => {
  const posts: number[] = [];
  const store = {
    webhooks: {
      getEndpointById: async () => (await sleep(400), { id: 'we_a', workspaceId: 'ws', url: 'http://127.0.0.1:9/h', secret: 'whsec_x', enabled: true }),
      recordAttempt: async () => null,
      noteEndpointResult: async () => undefined,
    },
  };
  const poster = { post: async () => (posts.push(Date.now()), { outcome: { kind: 'answer', status: 200 }, latencyMs: 1 }), close: async () => undefined };
  const deliverer = createDeliverer({
    store: store as never, poster: poster as never, logger: quiet,
    config: { webhooks: { timeoutMs: 1_000, disableAfterMs: 60_000, retryForMs: 3_600_000 } as never, store: { callTimeoutMs: 200 } } as never,
  });
  const now = Date.now();
  const d = { id: 'd1', endpointId: 'we_a', workspaceId: 'ws', eventId: 'e1', eventType: 'message.sent', payload: '{}', attemptCount: 0, leaseToken: 't', nextAttemptAt: new Date(now + 3_000), retryUntil: new Date(now + 3_600_000) };
  await expect(deliverer.attempt(d as never)).rejects.toBeInstanceOf(StoreTimeoutError);
  await sleep(400);
  expect(posts).toEqual([]);
});
