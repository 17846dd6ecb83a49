import type { Delivery, ItemResult } from '../../src/bus/bus';
import { createLogger } from '../../src/log/logger';
import { createDeliveryHandler } from '../../src/workers/deliveries';

const logger = createLogger('test', { silent: true });
const delivery = (body: unknown): Delivery => ({ body, size: 0, headers: {}, redelivered: false, attempt: 1 });

describe('delivery handler', () => {
  it('hands back an id whose handling never settles, and still settles the others of the batch', async () => {
    const handler = createDeliveryHandler(
      (id): Promise<ItemResult> => (id === 'stuck' ? new Promise(() => undefined) : Promise.resolve({ action: 'ack' })),
      { concurrency: 10, limitMs: 100, logger },
    );
    const result = await handler.handle(delivery({ messageIds: ['a', 'stuck', 'b'] }));
    expect(result).toEqual({
      action: 'split',
      parts: [{ body: { messageId: 'stuck' }, result: { action: 'retry', delayMs: 1_000, reason: 'handling did not finish within 100 ms' } }],
    });
  });

  it('passes a handling error on as a retry of that id alone', async () => {
    const handler = createDeliveryHandler(
      (id): Promise<ItemResult> => (id === 'bad' ? Promise.reject(new Error('store down')) : Promise.resolve({ action: 'ack' })),
      { concurrency: 10, limitMs: 1_000, logger },
    );
    expect(await handler.handle(delivery({ messageIds: ['ok', 'bad'] }))).toEqual({
      action: 'split',
      parts: [{ body: { messageId: 'bad' }, result: { action: 'retry', delayMs: 1_000, reason: 'handler threw: store down' } }],
    });
    expect(await handler.handle(delivery({ messageId: 'ok' }))).toEqual({ action: 'ack' });
  });

  it("starts the next message once a message's provider has answered, and settles a delivery only when its messages are done", async () => {
    const started: string[] = [];
    const recorded = new Map<string, () => void>();
    // One message at a time up to its provider's answer; its record (held open here) runs outside that slot.
    const handler = createDeliveryHandler(
      (id, answered): Promise<ItemResult> => {
        started.push(id);
        answered();
        return new Promise((resolve) => recorded.set(id, () => resolve({ action: 'ack' })));
      },
      { concurrency: 1, limitMs: 10_000, logger },
    );
    let settled = false;
    const result = handler.handle(delivery({ messageIds: ['a', 'b', 'c'] })).then((r) => ((settled = true), r));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    recorded.get('a')!();
    recorded.get('b')!();
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    recorded.get('c')!();
    expect(await result).toEqual({ action: 'ack' });
  });
});
