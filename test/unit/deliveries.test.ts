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

  it('handles at most `concurrency` ids at once, in arrival order, and hands back those not started at shutdown', async () => {
    const started: string[] = [];
    const finishers = new Map<string, () => void>();
    const handler = createDeliveryHandler(
      (id) =>
        new Promise<ItemResult>((resolve) => {
          started.push(id);
          finishers.set(id, () => resolve({ action: 'ack' }));
        }),
      { concurrency: 2, limitMs: 10_000, logger },
    );
    const first = handler.handle(delivery({ messageIds: ['a', 'b', 'c'] }));
    const second = handler.handle(delivery({ messageId: 'd' }));
    const third = handler.handle(delivery({ messageIds: ['e', 'f'] }));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b']);
    finishers.get('a')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    finishers.get('c')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    handler.stop();
    finishers.get('b')!();
    finishers.get('d')!();
    expect(await first).toEqual({ action: 'ack' });
    expect(await second).toEqual({ action: 'ack' });
    const back = { action: 'retry', delayMs: 0, reason: 'handed back at shutdown' };
    expect(await third).toEqual({ action: 'split', parts: [{ body: { messageId: 'e' }, result: back }, { body: { messageId: 'f' }, result: back }] });
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('retries an id already being handled by this worker instead of handling it twice at once', async () => {
    let release: (() => void) | undefined;
    let calls = 0;
    const handler = createDeliveryHandler(
      () => {
        calls++;
        return new Promise<ItemResult>((resolve) => (release = () => resolve({ action: 'ack' })));
      },
      { concurrency: 10, limitMs: 10_000, logger },
    );
    const first = handler.handle(delivery({ messageId: 'a' }));
    expect(await handler.handle(delivery({ messageIds: ['a'] }))).toEqual({
      action: 'split',
      parts: [{ body: { messageId: 'a' }, result: { action: 'retry', delayMs: 1_000, reason: 'same message in progress in this worker' } }],
    });
    release!();
    expect(await first).toEqual({ action: 'ack' });
    expect(calls).toBe(1);
  });
});
