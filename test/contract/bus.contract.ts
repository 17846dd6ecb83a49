// The conformance suite every Bus implementation passes. `makeBus` must return a new Bus on
// the same backing store (RabbitMQ prefix, SQLite file) each time it is called within a test,
// and a fresh backing store for each test; its buses must use a short drainTimeoutMs (about 1 s).
import type { Bus, Delivery, HandlerResult } from '../../src/bus/bus';
import { PublishNotConfirmedError } from '../../src/bus/errors';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const ack: HandlerResult = { action: 'ack' };

export function describeBusContract(name: string, makeBus: () => Promise<Bus>): void {
  describe(`Bus contract: ${name}`, () => {
    const opened: Bus[] = [];
    const open = async () => {
      const bus = await makeBus();
      opened.push(bus);
      await bus.connect();
      return bus;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((b) => b.close().catch(() => undefined)));
    });

    test('a published message reaches the consumer once, with its body, headers and attempt 1', async () => {
      const bus = await open();
      const got: Delivery[] = [];
      await bus.consume('dispatch', async (d) => (got.push(d), ack), { prefetch: 5 });
      const body = { notificationId: 'n-1', text: 'héllo' };
      await bus.publish('dispatch', body, { messageId: 'm-1', headers: { 'x-trace': 'abc' } });
      await waitFor(() => got.length === 1, 5000, 'delivery');
      expect(got[0].body).toEqual(body);
      expect(got[0].headers['x-trace']).toBe('abc');
      expect(got[0].attempt).toBe(1);
      expect(got[0].redelivered).toBe(false);
      expect(got[0].size).toBe(Buffer.byteLength(JSON.stringify(body)));
      await sleep(300);
      expect(got).toHaveLength(1);
      expect(await bus.depth('dispatch')).toBe(0);
    });

    test('queues are separate: a message for sms does not reach an email consumer', async () => {
      const bus = await open();
      const got: unknown[] = [];
      await bus.consume('email', async (d) => (got.push(d.body), ack), { prefetch: 1 });
      await bus.publish('sms', { messageId: 's-1' });
      await bus.publish('email', { messageId: 'e-1' });
      await waitFor(() => got.length === 1, 5000, 'email delivery');
      await sleep(200);
      expect(got).toEqual([{ messageId: 'e-1' }]);
      await waitFor(async () => (await bus.depth('sms')) === 1, 5000, 'sms depth 1');
    });

    test('a single consumer with prefetch 1 receives messages in publish order', async () => {
      const bus = await open();
      for (let i = 0; i < 20; i++) await bus.publish('sms', { i });
      const seen: number[] = [];
      await bus.consume('sms', async (d) => (seen.push((d.body as { i: number }).i), ack), { prefetch: 1 });
      await waitFor(() => seen.length === 20, 10000, '20 deliveries');
      expect(seen).toEqual([...Array(20).keys()]);
    });

    test('prefetch bounds how many handlers run at once', async () => {
      const bus = await open();
      for (let i = 0; i < 12; i++) await bus.publish('email', { i });
      let active = 0;
      let peak = 0;
      let done = 0;
      await bus.consume(
        'email',
        async () => {
          active++;
          peak = Math.max(peak, active);
          await sleep(100);
          active--;
          done++;
          return ack;
        },
        { prefetch: 3 },
      );
      await waitFor(() => done === 12, 10000, '12 handled');
      expect(peak).toBe(3);
    });

    test('retry delivers the message again after about the delay, with attempt + 1', async () => {
      const bus = await open();
      const got: Array<{ at: number; d: Delivery }> = [];
      await bus.consume(
        'sms',
        async (d) => {
          got.push({ at: Date.now(), d });
          return d.attempt === 1 ? { action: 'retry', delayMs: 1000, reason: 'provider busy' } : ack;
        },
        { prefetch: 2 },
      );
      await bus.publish('sms', { messageId: 'r-1' }, { headers: { 'x-trace': 't-1' } });
      await waitFor(() => got.length === 2, 8000, 'second delivery');
      const [first, second] = got;
      expect([first.d.attempt, second.d.attempt]).toEqual([1, 2]);
      expect(second.d.body).toEqual({ messageId: 'r-1' });
      expect(second.d.headers['x-trace']).toBe('t-1');
      expect(second.at - first.at).toBeGreaterThanOrEqual(900);
      expect(second.at - first.at).toBeLessThan(5000);
      await sleep(300);
      expect(got).toHaveLength(2);
      expect(await bus.deadLetters('sms', 10)).toEqual([]);
    });

    test('publish with delayMs is not delivered before the delay', async () => {
      const bus = await open();
      const at: number[] = [];
      await bus.consume('dispatch', async () => (at.push(Date.now()), ack), { prefetch: 1 });
      const t0 = Date.now();
      await bus.publish('dispatch', { notificationId: 'later' }, { delayMs: 1000 });
      await waitFor(() => at.length === 1, 8000, 'delayed delivery');
      expect(at[0] - t0).toBeGreaterThanOrEqual(900);
    });

    test('dead moves the message to the dead letters with its reason; reading them does not remove them', async () => {
      const bus = await open();
      let calls = 0;
      await bus.consume('email', async () => (calls++, { action: 'dead', reason: 'no such recipient' }), { prefetch: 1 });
      await bus.publish('email', { messageId: 'd-1' }, { headers: { 'x-trace': 'd' } });
      await waitFor(async () => (await bus.deadLetters('email', 10)).length === 1, 5000, 'a dead letter');
      const [dead] = await bus.deadLetters('email', 10);
      expect(JSON.parse(dead.body)).toEqual({ messageId: 'd-1' });
      expect(dead.queue).toBe('email');
      expect(dead.reason).toBe('no such recipient');
      expect(dead.headers['x-herald-reason']).toBe('no such recipient');
      expect(dead.headers['x-herald-original-queue']).toBe('email');
      expect(dead.headers['x-trace']).toBe('d');
      expect(await bus.deadLetters('email', 10)).toHaveLength(1);
      await sleep(200);
      expect(calls).toBe(1);
      expect(await bus.depth('email')).toBe(0);
    });

    test('split settles a batch item by item: done items go, retries come back alone, dead ones are dead-lettered', async () => {
      const bus = await open();
      const got: Delivery[] = [];
      await bus.consume(
        'sms',
        async (d) => {
          got.push(d);
          if (!('ids' in (d.body as object))) return ack;
          return {
            action: 'split',
            parts: [
              { body: { messageId: 'b' }, result: { action: 'retry', delayMs: 500, reason: 'provider busy' } },
              { body: { messageId: 'c' }, result: { action: 'dead', reason: 'no such message' } },
            ],
          };
        },
        { prefetch: 2 },
      );
      await bus.publish('sms', { ids: ['a', 'b', 'c'] }, { messageId: 'batch-1', headers: { 'x-trace': 's' } });
      await waitFor(() => got.length === 2, 8000, 'the retried item');
      expect(got[1].body).toEqual({ messageId: 'b' });
      expect(got[1].attempt).toBe(2);
      expect(got[1].headers['x-trace']).toBe('s');
      await waitFor(async () => (await bus.deadLetters('sms', 10)).length === 1, 5000, 'the dead item');
      const [dead] = await bus.deadLetters('sms', 10);
      expect(JSON.parse(dead.body)).toEqual({ messageId: 'c' });
      expect(dead.reason).toBe('no such message');
      await sleep(300);
      expect(got).toHaveLength(2);
      expect(await bus.depth('sms')).toBe(0);
    });

    test('a body that is not JSON is dead-lettered without reaching the handler, and the next message still flows', async () => {
      const bus = await open();
      const got: unknown[] = [];
      await bus.consume('events', async (d) => (got.push(d.body), ack), { prefetch: 1 });
      await bus.publishRaw('events', Buffer.from('{not json'));
      await bus.publish('events', { ok: true });
      await waitFor(() => got.length === 1, 5000, 'the good message');
      expect(got).toEqual([{ ok: true }]);
      await waitFor(async () => (await bus.deadLetters('events', 10)).length === 1, 5000, 'the bad one dead-lettered');
      const [dead] = await bus.deadLetters('events', 10);
      expect(dead.body).toBe('{not json');
      expect(dead.reason).toMatch(/^invalid JSON: /);
    });

    test('a handler that throws is retried, not lost', async () => {
      const bus = await open();
      const attempts: number[] = [];
      await bus.consume(
        'dispatch',
        async (d) => {
          attempts.push(d.attempt);
          if (d.attempt === 1) throw new Error('database hiccup');
          return ack;
        },
        { prefetch: 1 },
      );
      await bus.publish('dispatch', { notificationId: 'throws' });
      await waitFor(() => attempts.length === 2, 8000, 'the retry');
      expect(attempts).toEqual([1, 2]);
      await sleep(200);
      expect(attempts).toHaveLength(2);
      expect(await bus.deadLetters('dispatch', 10)).toEqual([]);
    });

    test('a message not acked when its consumer goes away is redelivered to a new consumer', async () => {
      const first = await open();
      const seenByFirst: Delivery[] = [];
      // This handler never finishes: its bus gives up waiting after its drain timeout.
      await first.consume('sms', (d) => (seenByFirst.push(d), new Promise<HandlerResult>(() => undefined)), { prefetch: 1 });
      await first.publish('sms', { messageId: 'orphan' });
      await waitFor(() => seenByFirst.length === 1, 5000, 'first delivery');
      await first.close();

      const second = await open();
      const seenBySecond: Delivery[] = [];
      await second.consume('sms', async (d) => (seenBySecond.push(d), ack), { prefetch: 1 });
      await waitFor(() => seenBySecond.length === 1, 8000, 'redelivery');
      expect(seenBySecond[0].body).toEqual({ messageId: 'orphan' });
      expect(seenBySecond[0].redelivered).toBe(true);
      expect(seenBySecond[0].attempt).toBe(1);
    });

    test('the sheets queue holds events apart from the others, and one its worker dropped comes back to the next', async () => {
      const first = await open();
      const dispatchSeen: unknown[] = [];
      await first.consume('dispatch', async (d) => (dispatchSeen.push(d.body), ack), { prefetch: 5 });
      const seenByFirst: Delivery[] = [];
      await first.consume('sheets', (d) => (seenByFirst.push(d), new Promise<HandlerResult>(() => undefined)), { prefetch: 5 });
      const event = { event: { id: 'n-1', workspaceId: 'default', programId: 'p', eventTypeId: 'e', createdAt: '2030-01-01T00:00:00.000Z', data: { a: 1 } } };
      await first.publish('sheets', event, { messageId: 'n-1' });
      await waitFor(() => seenByFirst.length === 1, 5000, 'sheets delivery');
      expect(await first.depth('sheets')).toBe(0);
      await first.close();
      expect(dispatchSeen).toEqual([]);

      const second = await open();
      const seenBySecond: Delivery[] = [];
      await second.consume('sheets', async (d) => (seenBySecond.push(d), ack), { prefetch: 5 });
      await waitFor(() => seenBySecond.length === 1, 8000, 'sheets redelivery');
      expect(seenBySecond[0].body).toEqual(event);
      expect(seenBySecond[0].redelivered).toBe(true);
      await sleep(200);
      expect(seenBySecond).toHaveLength(1);
    });

    test('the webhooks queue is a queue of its own; an event batch not acked comes back whole, with its event ids', async () => {
      const first = await open();
      const sms: unknown[] = [];
      await first.consume('sms', async (d) => (sms.push(d.body), ack), { prefetch: 1 });
      const seenByFirst: Delivery[] = [];
      await first.consume('webhooks', (d) => (seenByFirst.push(d), new Promise<HandlerResult>(() => undefined)), { prefetch: 1 });
      const body = { events: [{ id: 'evt_1', type: 'message.delivered' }, { id: 'evt_2', type: 'message.failed' }] };
      await first.publish('webhooks', body);
      await waitFor(() => seenByFirst.length === 1, 5000, 'first webhooks delivery');
      expect(sms).toEqual([]);
      await first.close();
      const second = await open();
      const seenBySecond: Delivery[] = [];
      await second.consume('webhooks', async (d) => (seenBySecond.push(d), ack), { prefetch: 1 });
      await waitFor(() => seenBySecond.length === 1, 8000, 'webhooks redelivery');
      expect(seenBySecond[0].body).toEqual(body);
      expect(seenBySecond[0].redelivered).toBe(true);
      expect(await second.depth('webhooks')).toBe(0);
    });

    test('depth counts messages waiting, and drops as they are consumed', async () => {
      const bus = await open();
      expect(await bus.depth('events')).toBe(0);
      for (let i = 0; i < 3; i++) await bus.publish('events', { i });
      await waitFor(async () => (await bus.depth('events')) === 3, 5000, 'depth 3');
      let n = 0;
      await bus.consume('events', async () => (n++, ack), { prefetch: 10 });
      await waitFor(() => n === 3, 5000, '3 handled');
      await waitFor(async () => (await bus.depth('events')) === 0, 5000, 'depth 0');
    });

    test('cancel waits for handlers in flight, and the cancelled consumer takes nothing more', async () => {
      const bus = await open();
      let started = 0;
      let finished = 0;
      const consumer = await bus.consume(
        'email',
        async () => {
          started++;
          await sleep(500);
          finished++;
          return ack;
        },
        { prefetch: 1 },
      );
      await bus.publish('email', { n: 1 });
      await waitFor(() => started === 1, 5000, 'handler start');
      await consumer.cancel();
      expect(finished).toBe(1);
      await bus.publish('email', { n: 2 });
      await sleep(300);
      expect(started).toBe(1);
      await waitFor(async () => (await bus.depth('email')) === 1, 5000, 'the second message waiting');
    });

    test('a broadcast reaches every subscriber of every bus on the installation once; a closed subscription hears nothing more', async () => {
      const [a, b] = [await open(), await open()];
      const heard: Record<string, unknown[]> = { a1: [], a2: [], b: [] };
      const a1 = await a.subscribe('credits', (body) => heard.a1.push(body));
      await a.subscribe('credits', (body) => heard.a2.push(body));
      await b.subscribe('credits', (body) => heard.b.push(body));
      await a.broadcast('credits', { workspaceId: 'w1' });
      await b.broadcast('credits', { workspaceId: 'w2' });
      await waitFor(() => Object.values(heard).every((h) => h.length === 2), 5000, 'both broadcasts everywhere');
      for (const h of Object.values(heard)) expect(h).toEqual(expect.arrayContaining([{ workspaceId: 'w1' }, { workspaceId: 'w2' }]));
      await a1.close();
      await a1.close();
      await b.broadcast('credits', { workspaceId: 'w3' });
      await waitFor(() => heard.b.length === 3 && heard.a2.length === 3, 5000, 'the third broadcast');
      await sleep(200);
      expect(heard.a1).toHaveLength(2);
      // Signals are not work: nothing waits in a queue.
      expect(await a.depth('dispatch')).toBe(0);
    });

    test('publish after close rejects with PublishNotConfirmedError', async () => {
      const bus = await open();
      await bus.close();
      const err = await bus.publish('sms', { messageId: 'late' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishNotConfirmedError);
      await expect(bus.broadcast('credits', { workspaceId: 'late' })).rejects.toBeInstanceOf(PublishNotConfirmedError);
      expect((err as PublishNotConfirmedError).code).toBe('PUBLISH_NOT_CONFIRMED');
      await bus.close();
    });
  });
}
