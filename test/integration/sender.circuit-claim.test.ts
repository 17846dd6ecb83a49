// A half-open circuit lets one trial through. A trial whose claim fails in the store (not the provider's
// fault) must give the trial back: else the provider stays unusable for a whole open spell although nobody tried it.
import type { Delivery } from '../../src/bus/bus';
import { createLogger } from '../../src/log/logger';
import { ProviderError, errorCodeForHttpStatus, type SmsProvider } from '../../src/providers/types';
import { createSqliteStore } from '../../src/store/sqlite';
import type { NewMessage, Store } from '../../src/store/store';
import { ProviderRouter } from '../../src/workers/router';
import { createSender } from '../../src/workers/sender';

const delivery = (id: string): Delivery => ({ body: { messageId: id }, size: 0, headers: {}, redelivered: false, attempt: 1 });

function message(id: string): NewMessage {
  const at = new Date();
  return {
    id, workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: id, channel: 'sms', to: '+254700000001',
    content: { text: `hi ${id}` }, status: 'queued', statusHistory: [{ status: 'queued', at }], validUntil: new Date(at.getTime() + 3_600_000), attempts: 0,
  };
}

describe('sender: a half-open trial whose claim fails', () => {
  let store: Store;
  afterEach(async () => store?.close());

  it('gives the trial back, so the next message is tried at once', async () => {
    store = createSqliteStore(':memory:');
    await store.connect();
    await store.messages.insertMany(['a', 'b', 'c'].map(message));
    let failing = true;
    const sent: string[] = [];
    const provider: SmsProvider = {
      id: 'gw', type: 'fake', channel: 'sms',
      send: async (m) => {
        if (failing) throw new ProviderError(errorCodeForHttpStatus(503), 'gateway down', { httpStatus: 503 });
        sent.push(m.messageId);
        return { providerMessageId: `pm-${m.messageId}`, status: 'sent' };
      },
    };
    let skew = 0;
    const router = new ProviderRouter([provider], { circuit: { failureThreshold: 1, openMs: 60_000 }, clock: () => Date.now() + skew });
    let claimFails = false;
    const flaky: Store = {
      ...store,
      messages: {
        ...store.messages,
        transitionEachReturning: (changes) => {
          if (claimFails && changes.some((c) => c.to === 'sending')) {
            claimFails = false;
            return Promise.reject(new Error('connection reset by the store'));
          }
          return store.messages.transitionEachReturning(changes);
        },
      },
    };
    const sender = createSender({
      store: flaky, router, channel: 'sms',
      config: { worker: { prefetch: 2, maxAttempts: 5, retryBaseMs: 10, retryMaxMs: 100, leaseMs: 60_000 } },
      logger: createLogger('test', { silent: true }),
    });
    // The provider fails once: its circuit opens.
    expect((await sender.handle(delivery('a'))).action).toBe('retry');
    failing = false;
    // The spell is over: the next attempt is the trial, and its claim fails in the store.
    skew += 61_000;
    claimFails = true;
    // A lone delivery whose handling threw is the bus's to retry.
    await expect(sender.handle(delivery('b'))).rejects.toThrow('connection reset by the store');
    expect(sent).toEqual([]);
    // The trial was never made: the next message is the trial and goes out.
    expect(await sender.handle(delivery('c'))).toEqual({ action: 'ack' });
    expect(sent).toEqual(['c']);
    sender.stop();
  });
});
