// The RabbitMQ connection hands the frames queued in one turn to the kernel in one write (see
// src/bus/amqp/coalesce-writes.ts): it must find amqplib's internals (an upgrade that moves them is
// noticed here), and frames written corked arrive complete and in order.
import amqp from 'amqplib';
import { coalesceWrites } from '../../src/bus/amqp/coalesce-writes';
import { AMQP_URL, requireServices, uniqueName } from '../support/services';

beforeAll(() => requireServices(['amqp']));

test('publishes of one turn, written corked, are all confirmed and consumed in order', async () => {
  const conn = await amqp.connect(AMQP_URL);
  try {
    expect(coalesceWrites(conn)).toBe(true);
    const queue = uniqueName('coalesce');
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: false, autoDelete: false });
    const sent = Array.from({ length: 300 }, (_, i) => `m${i}`);
    await Promise.all(
      sent.map((body) => new Promise<void>((resolve, reject) => ch.sendToQueue(queue, Buffer.from(body), {}, (err) => (err ? reject(err) : resolve())))),
    );
    const got: string[] = [];
    const done = new Promise<void>((resolve) => {
      void ch.consume(queue, (m) => {
        if (!m) return;
        got.push(m.content.toString());
        ch.ack(m);
        if (got.length === sent.length) resolve();
      });
    });
    await done;
    expect(got).toEqual(sent);
    await ch.deleteQueue(queue);
    await ch.close();
  } finally {
    await conn.close();
  }
});

test('a connection without the expected internals is left alone', () => {
  expect(coalesceWrites({})).toBe(false);
  expect(coalesceWrites(null)).toBe(false);
});
