// The webhook endpoint cache told of a change while a read of the list is under way: that read began
// before the change and may not see it; the cache must read again, not keep it for endpointCacheMs.
import { createEndpointCache } from '../../src/services/webhooks';
import type { WebhookEndpoint } from '../../src/store/store-webhooks';

const endpoint = (id: string) => ({ workspaceId: 'default', id, url: 'https://example.org/hook', events: [], secret: 'whsec_x', enabled: true, createdAt: new Date(), updatedAt: new Date() }) as WebhookEndpoint;

test('a change during a read is seen by the next question, not after the cache expires', async () => {
  const answers: Array<(list: WebhookEndpoint[]) => void> = [];
  const repo = { listEnabled: () => new Promise<WebhookEndpoint[]>((resolve) => answers.push(resolve)) };
  const cache = createEndpointCache(repo, 60_000);
  const before = cache.wanted('default', 'message.sent');
  // An endpoint is created while that read is on its way (its answer: none).
  cache.invalidate();
  expect(answers).toHaveLength(2);
  answers[0]([]);
  answers[1]([endpoint('we_1')]);
  expect(await before).toBe(false);
  expect(await cache.wanted('default', 'message.sent')).toBe(true);
  expect(cache.mayWantNow('default', 'message.sent')).toBe(true);
  expect(answers).toHaveLength(2);
});
