// The channel worker's own rules on the embedded store, without a bus: a batch delivery is settled
// id by id, a bad entry goes alone to the dead letters, and an attempt under way is never expired
// or doubled by a second delivery of the same message.
import type { Delivery, HandlerResult } from '../../src/bus/bus';
import { createLogger } from '../../src/log/logger';
import type { SmsProvider } from '../../src/providers/types';
import { createSqliteStore } from '../../src/store/sqlite';
import type { NewMessage, Store } from '../../src/store/store';
import { ProviderRouter } from '../../src/workers/router';
import { createSender } from '../../src/workers/sender';

const delivery = (body: object): Delivery => ({ body, size: 0, headers: {}, redelivered: false, attempt: 1 });

function message(id: string, over: Partial<NewMessage> = {}): NewMessage {
  const at = new Date();
  return {
    id, workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: id, channel: 'sms', to: '+254700000001',
    content: { text: `hi ${id}` }, status: 'queued', statusHistory: [{ status: 'queued', at }],
    validUntil: new Date(at.getTime() + 3_600_000), attempts: 0, ...over,
  };
}

describe('sender: batches and leases', () => {
  let store: Store;
  const sent: string[] = [];
  const provider: SmsProvider = {
    id: 'fake', type: 'fake', channel: 'sms',
    send: async (m) => (sent.push(m.messageId), { providerMessageId: `pm-${sent.length}`, status: 'sent' }),
  };
  const sender = () =>
    createSender({
      store,
      router: new ProviderRouter([provider]),
      channel: 'sms',
      config: { worker: { prefetch: 2, maxAttempts: 5, retryBaseMs: 10, retryMaxMs: 100, leaseMs: 60_000 } },
      logger: createLogger('test', { silent: true }),
    });

  beforeEach(async () => {
    sent.length = 0;
    store = createSqliteStore(':memory:');
    await store.connect();
  });
  afterEach(async () => store.close());

  it('sends every good id of a batch once and dead-letters only the bad entries and unknown ids', async () => {
    await store.messages.insertMany(['a', 'b', 'c', 'd'].map((id) => message(id)));
    const result = await sender().handle(delivery({ messageIds: ['a', 'b', 7, 'c', 'ghost', 'd', 'a'] }));
    expect(result).toEqual<HandlerResult>({
      action: 'split',
      parts: [
        { body: { messageId: 7 }, result: { action: 'dead', reason: 'a messageIds entry must be a non-empty string' } },
        { body: { messageId: 'ghost' }, result: { action: 'dead', reason: "message 'ghost' does not exist" } },
      ],
    });
    expect(sent.sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const id of ['a', 'b', 'c', 'd']) expect(await store.messages.get(id)).toMatchObject({ status: 'sent', attempts: 1 });
    // The same batch again (a redelivery): nothing is sent twice.
    expect(await sender().handle(delivery({ messageIds: ['a', 'b', 'c', 'd'] }))).toEqual({ action: 'ack' });
    expect(sent).toHaveLength(4);
  });

  it('leaves a message whose attempt is under way alone, even once its window has closed', async () => {
    const leaseUntil = new Date(Date.now() + 30_000);
    await store.messages.insertMany([
      message('held', { status: 'sending', attempts: 1, leaseUntil, provider: 'fake' }),
      message('late', { status: 'sending', attempts: 1, leaseUntil, provider: 'fake', validUntil: new Date(Date.now() - 1_000) }),
    ]);
    const result = await sender().handle(delivery({ messageIds: ['held', 'late'] }));
    expect(result.action).toBe('split');
    const parts = (result as Extract<HandlerResult, { action: 'split' }>).parts;
    // Both come back to be looked at again: an ack would leave 'late' behind if its attempt died.
    expect(parts.map((p) => (p.body as { messageId: string }).messageId)).toEqual(['held', 'late']);
    for (const p of parts) expect(p.result).toMatchObject({ action: 'retry', reason: 'attempt in progress elsewhere' });
    expect(Math.max(...parts.map((p) => (p.result as { delayMs: number }).delayMs))).toBeLessThanOrEqual(5_000);
    expect(sent).toEqual([]);
    expect(await store.messages.get('late')).toMatchObject({ status: 'sending' });
  });

  it('never acks a message whose claim did not come back: it is looked at again and sent once', async () => {
    await store.messages.insertMany([message('q1'), message('q2')]);
    // The store answers 'not yours' for q1's claim without having moved it (an unconfirmed claim).
    const real = store.messages.transitionEachReturning.bind(store.messages);
    let lose = true;
    store.messages.transitionEachReturning = async (changes) => {
      const kept = lose ? changes.filter((c) => c.id !== 'q1') : changes;
      const out = await real(kept);
      const byId = new Map(kept.map((c, i) => [c.id, out[i]]));
      lose = false;
      return changes.map((c) => byId.get(c.id) ?? null);
    };
    const first = await sender().handle(delivery({ messageIds: ['q1', 'q2'] }));
    expect(first).toEqual({ action: 'split', parts: [{ body: { messageId: 'q1' }, result: { action: 'retry', delayMs: 1_000, reason: 'claim not confirmed' } }] });
    expect(sent).toEqual(['q2']);
    expect(await sender().handle(delivery({ messageId: 'q1' }))).toEqual({ action: 'ack' });
    expect(sent.sort()).toEqual(['q1', 'q2']);
    expect(await store.messages.get('q1')).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('checks a message the batch read missed before dead-lettering it', async () => {
    await store.messages.insertMany([message('m1'), message('m2')]);
    const real = store.messages.getMany.bind(store.messages);
    store.messages.getMany = async (ids) => (await real(ids)).filter((m) => m.id !== 'm1');
    expect(await sender().handle(delivery({ messageIds: ['m1', 'm2'] }))).toEqual({ action: 'ack' });
    expect(sent.sort()).toEqual(['m1', 'm2']);
  });
});
