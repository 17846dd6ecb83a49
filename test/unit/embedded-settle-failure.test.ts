// The embedded consumer settles the jobs finished since its last look in one write of the queue's
// group commit (src/bus/embedded/consumer.ts). A settlement that fails to be written (here an ack that
// throws, as an I/O error would) must never lose a job: every job of that write is delivered again
// once its lease ends, and the queue ends empty with every job handled to an ack.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Delivery, HandlerResult } from '../../src/bus/bus';
import { EmbeddedConsumer } from '../../src/bus/embedded/consumer';
import { JobStore } from '../../src/bus/embedded/job-store';
import { tempDir } from '../support/herald';
import { jobsLeft as jobsLeftIn } from '../support/queue-file';

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

describe('embedded consumer: a settlement write that fails', () => {
  let store: JobStore;
  let file: string;
  let consumer: EmbeddedConsumer | undefined;
  /** Jobs still in the queue, held (leased) or not. */
  const jobsLeft = (): number => jobsLeftIn(file);
  beforeEach(() => {
    file = path.join(tempDir('settle-failure-'), 'queue.db');
    store = new JobStore(file);
  });
  afterEach(async () => {
    await consumer?.cancel();
    store.close();
  });

  it('delivers the jobs of the failed write again; none is lost, the queue ends empty', async () => {
    const deliveries = new Map<number, boolean[]>();
    const handler = async (d: Delivery): Promise<HandlerResult> => {
      const n = (d.body as { n: number }).n;
      deliveries.set(n, [...(deliveries.get(n) ?? []), d.redelivered]);
      return { action: 'ack' };
    };
    for (let n = 1; n <= 6; n++) store.insert('sms', Buffer.from(JSON.stringify({ n })), {}, undefined, 1, 0);
    // The third ack written throws, once: it fails, and every job whose settlement did not land comes back.
    const realAck = store.ack.bind(store);
    let acks = 0;
    jest.spyOn(store, 'ack').mockImplementation((id, token) => {
      if (++acks === 3) throw new Error('disk I/O error');
      return realAck(id, token);
    });
    consumer = new EmbeddedConsumer({ store, wake: new EventEmitter(), pollMs: 20, visibilityMs: 300, drainTimeoutMs: 2_000 }, 'sms', handler, 10, () => undefined);

    expect(await until(() => deliveries.size === 6 && jobsLeft() === 0)).toBe(true);
    // What the failed write held came back after its lease: delivered a second time, marked redelivered.
    const again = [...deliveries.entries()].filter(([, d]) => d.length > 1);
    expect(again.length).toBeGreaterThan(0);
    for (const [, d] of again) expect(d).toEqual([false, true]);
    expect(acks).toBeGreaterThan(6);
  });

  /** Runs `respond` on every delivery until the queue is empty; the bodies delivered, each with its redelivered flags. */
  const runUntilEmpty = async (respond: (body: { n: number | string }, redelivered: boolean) => HandlerResult) => {
    const deliveries = new Map<number | string, boolean[]>();
    const handler = async (d: Delivery): Promise<HandlerResult> => {
      const body = d.body as { n: number | string };
      deliveries.set(body.n, [...(deliveries.get(body.n) ?? []), d.redelivered]);
      return respond(body, d.redelivered);
    };
    consumer = new EmbeddedConsumer({ store, wake: new EventEmitter(), pollMs: 20, visibilityMs: 300, drainTimeoutMs: 2_000 }, 'sms', handler, 10, () => undefined);
    expect(await until(() => deliveries.size >= 6 && jobsLeft() === 0)).toBe(true);
    // Past one more lease: a job wrongly left in the queue or a part wrongly written would be delivered by now.
    await new Promise((r) => setTimeout(r, 500));
    expect(jobsLeft()).toBe(0);
    return deliveries;
  };

  it('a settlement SQLite refuses fails alone: the other settlements of its write stay, their jobs delivered once', async () => {
    for (let n = 1; n <= 6; n++) store.insert('sms', Buffer.from(JSON.stringify({ n })), {}, undefined, 1, 0);
    // A retry whose delay is not a number: its available_at is NULL, which the table refuses (NOT NULL).
    const deliveries = await runUntilEmpty((b, again) => (b.n === 6 && !again ? { action: 'retry', delayMs: Number.NaN } : { action: 'ack' }));
    expect(Object.fromEntries(deliveries)).toEqual({ 1: [false], 2: [false], 3: [false], 4: [false], 5: [false], 6: [false, true] });
  });

  it('a split whose second part SQLite refuses leaves no part of it: the job comes back whole', async () => {
    for (let n = 1; n <= 6; n++) store.insert('sms', Buffer.from(JSON.stringify({ n })), {}, undefined, 1, 0);
    const deliveries = await runUntilEmpty((b, again) =>
      b.n === 6 && !again
        ? { action: 'split', parts: [{ body: { n: 'a' }, result: { action: 'retry', delayMs: 0 } }, { body: { n: 'b' }, result: { action: 'retry', delayMs: Number.NaN } }] }
        : { action: 'ack' },
    );
    expect(deliveries.has('a')).toBe(false);
    expect(deliveries.get(6)).toEqual([false, true]);
  });
});
