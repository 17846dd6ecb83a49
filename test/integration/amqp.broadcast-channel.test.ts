// A broadcast subscription's channel that the broker closes on its own (a channel error) while the
// connection stays up is re-attached on that connection. It used to wait for the next connection:
// catalog changes then reached the process only by the cache's TTL, balances only by the poll.
// Real RabbitMQ; the channel is closed by the broker (404 on a passive declare), not by Herald.
import amqp from 'amqplib';
import type { Channel } from 'amqplib';
import { allNames } from '../../src/bus/amqp';
import { AmqpBroadcast } from '../../src/bus/amqp/broadcast';
import { AmqpConnection } from '../../src/bus/amqp/connection';
import { AMQP_URL, requireServices, uniqueName } from '../support/services';

const prefix = uniqueName('bc');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => requireServices(['amqp']));

afterAll(async () => {
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  const { queues, exchanges } = allNames(prefix);
  for (const q of queues) await ch.deleteQueue(q);
  for (const e of exchanges) await ch.deleteExchange(e);
  await conn.close();
});

describe('amqp broadcast: a subscription channel closed by the broker', () => {
  it('is attached again on the same connection, says it was away, and broadcasts reach the subscriber', async () => {
    const connection = new AmqpConnection(AMQP_URL, prefix);
    const broadcast = new AmqpBroadcast(connection, prefix, 5_000);
    try {
      const live = await connection.waitLive(10_000);
      expect(live).toBeDefined();
      const opened: Channel[] = [];
      const realCreate = live!.model.createChannel.bind(live!.model);
      jest.spyOn(live!.model, 'createChannel').mockImplementation(async (...args) => {
        const ch = await realCreate(...args);
        opened.push(ch);
        return ch;
      });

      const got: unknown[] = [];
      let resumed = 0;
      const sub = await broadcast.subscribe('catalog', (b) => got.push(b), { onResumed: () => resumed++ });
      expect(opened).toHaveLength(1);
      await broadcast.publish('catalog', { n: 0 });
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(20);
      expect(got).toEqual([{ n: 0 }]);
      expect(resumed).toBe(0);

      // A channel-level error: the broker closes that channel (404), the connection lives on.
      const closedByBroker = new Promise((r) => opened[0].once('close', r));
      await opened[0].checkQueue(`${prefix}.no-such-queue`).catch(() => undefined);
      await closedByBroker;
      expect(connection.current).toBe(live);

      // Broadcasts are best effort: one sent before the new channel is bound is not seen. Keep sending until one is.
      for (let i = 1; i <= 50 && got.length < 2; i++) {
        await broadcast.publish('catalog', { n: i });
        await sleep(100);
      }
      expect(got.length).toBeGreaterThanOrEqual(2);
      expect(connection.current).toBe(live);
      expect(opened.length).toBeGreaterThanOrEqual(2);
      // The subscriber heard that it was away: a catalog cache drops its copies then.
      expect(resumed).toBe(opened.length - 1);
      await sub.close();
    } finally {
      await connection.close();
    }
  });
});
