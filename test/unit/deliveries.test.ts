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

  it("starts the next message once a message's provider has answered, within a budget of answered messages still recording", async () => {
    const started: string[] = [];
    const answers = new Map<string, () => void>();
    const recorded = new Map<string, () => void>();
    const handler = createDeliveryHandler(
      (id, answered): Promise<ItemResult> => {
        started.push(id);
        answers.set(id, answered);
        return new Promise((resolve) => recorded.set(id, () => resolve({ action: 'ack' })));
      },
      { concurrency: 2, limitMs: 10_000, logger },
    );
    let settled = false;
    const result = handler.handle(delivery({ messageIds: ['a', 'b', 'c', 'd'] })).then((r) => ((settled = true), r));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b']);
    // 'a' answered: its slot goes to 'c' while its record is written.
    answers.get('a')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    // 'b' answered too: a slot is free, but two answered messages are recording (the budget): 'd' waits.
    answers.get('b')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    recorded.get('a')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    recorded.get('b')!();
    recorded.get('c')!();
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    recorded.get('d')!();
    expect(await result).toEqual({ action: 'ack' });
  });

  it('starts at most 2 x concurrency messages while their records are held open', async () => {
    const started: string[] = [];
    const recorded: Array<() => void> = [];
    const handler = createDeliveryHandler(
      (id, answered): Promise<ItemResult> => {
        started.push(id);
        // The provider answers at once; the record never returns until released.
        answered();
        return new Promise((resolve) => recorded.push(() => resolve({ action: 'ack' })));
      },
      { concurrency: 3, limitMs: 10_000, logger },
    );
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const result = handler.handle(delivery({ messageIds: ids }));
    await new Promise((r) => setImmediate(r));
    expect(started.length).toBeGreaterThanOrEqual(3);
    expect(started.length).toBeLessThanOrEqual(6);
    const before = started.length;
    recorded.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(started.length).toBe(before + 1);
    while (recorded.length > 0) {
      recorded.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(started).toEqual(ids);
    expect(await result).toEqual({ action: 'ack' });
  });

  it('frees a slot once per message, whether its provider answered, it ended, or both (answered twice too)', async () => {
    const started: string[] = [];
    const enders = new Map<string, () => void>();
    const answers = new Map<string, () => void>();
    const handler = createDeliveryHandler(
      (id, answered): Promise<ItemResult> => {
        started.push(id);
        answers.set(id, answered);
        return new Promise((resolve) => enders.set(id, () => resolve({ action: 'ack' })));
      },
      { concurrency: 2, limitMs: 10_000, logger },
    );
    const result = handler.handle(delivery({ messageIds: ['a', 'b', 'c', 'd', 'e'] }));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b']);
    // 'a' answers twice, then ends: one slot freed in all ('c' starts, nothing more).
    answers.get('a')!();
    answers.get('a')!();
    enders.get('a')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c']);
    // 'b' ends without answering: its slot is freed at its end ('d').
    enders.get('b')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c', 'd']);
    // 'c' answers, then answers again after ending: still one slot ('e').
    answers.get('c')!();
    enders.get('c')!();
    answers.get('c')!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b', 'c', 'd', 'e']);
    enders.get('d')!();
    enders.get('e')!();
    expect(await result).toEqual({ action: 'ack' });
  });
});
