// Review finding: a batch claim whose write landed but whose read-back failed (store cut between
// the two round trips) leaves the message `sending` under a lease nobody holds. It recovers only
// after the lease, as a "resumed" attempt marked possibleDuplicate, although no provider ever saw it.
import type { Delivery } from '../../src/bus/bus';
import { StoreUnavailableError } from '../../src/domain/errors';
import { createLogger } from '../../src/log/logger';
import type { SmsProvider } from '../../src/providers/types';
import { createSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { ProviderRouter } from '../../src/workers/router';
import { createSender } from '../../src/workers/sender';

const LEASE_MS = 300;

function delivery(body: object): Delivery {
  return { body, size: 0, headers: {}, redelivered: false, attempt: 1 };
}

describe('sender: claim written but its read-back lost', () => {
  let store: Store;
  afterEach(async () => store?.close());

  it('sends once and does not call the message a possible duplicate', async () => {
    store = createSqliteStore(':memory:');
    await store.connect();
    const now = new Date();
    await store.messages.insertMany([
      {
        id: 'n1:u1:sms', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms',
        to: '+254700000001', content: { text: 'hi' }, status: 'queued', statusHistory: [{ status: 'queued', at: now }],
        validUntil: new Date(now.getTime() + 3_600_000), attempts: 0,
      },
    ]);
    // The bulk write lands, then the read that says who won fails once (the connection was cut in between).
    const real = store.messages.transitionEachReturning.bind(store.messages);
    let cut = true;
    store.messages.transitionEachReturning = async (changes) => {
      const out = await real(changes);
      if (cut) {
        cut = false;
        throw new StoreUnavailableError('connection cut before the read-back');
      }
      return out;
    };
    const sent: string[] = [];
    const provider: SmsProvider = {
      id: 'fake', type: 'fake', channel: 'sms',
      send: async (m) => {
        sent.push(m.messageId);
        return { providerMessageId: `pm-${sent.length}`, status: 'sent' };
      },
    };
    const sender = createSender({
      store,
      router: new ProviderRouter([provider]),
      channel: 'sms',
      config: { worker: { prefetch: 10, maxAttempts: 5, retryBaseMs: 10, retryMaxMs: 100, leaseMs: LEASE_MS } },
      logger: createLogger('test', { silent: true }),
    });

    const first = await sender.handle(delivery({ messageIds: ['n1:u1:sms'] }));
    expect(first.action).toBe('split'); // the id comes back shortly, as designed
    expect(sent).toHaveLength(0); // no provider saw it

    // The redelivery: first held off by the orphaned lease, then taken over once it ends.
    await new Promise((r) => setTimeout(r, LEASE_MS + 100));
    const second = await sender.handle(delivery({ messageId: 'n1:u1:sms' }));
    expect(second.action).toBe('ack');

    const m = await store.messages.get('n1:u1:sms');
    expect(m?.status).toBe('sent');
    expect(sent).toHaveLength(1); // handed to the provider exactly once...
    expect(m?.possibleDuplicate).not.toBe(true); // ...yet flagged as a possible duplicate (fails today)
    expect(m?.attempts).toBe(1); // and charged two attempts (fails today)
  });
});
