// A broadcast subscription made while the connection is down attaches when it comes up: once. Its
// own 'live' listener (for later reconnections) and its wait for the first connection both hear the
// same 'live': attaching twice left a second channel and queue that nothing closes, and every
// broadcast handled twice.
import { EventEmitter } from 'node:events';
import { AmqpBroadcast } from '../../src/bus/amqp/broadcast';

describe('amqp broadcast subscribe before the connection is up', () => {
  it('attaches one channel to the connection that comes up', async () => {
    let channels = 0;
    const channel = () => {
      channels++;
      return Object.assign(new EventEmitter(), {
        assertQueue: async () => ({ queue: `q${channels}` }),
        bindQueue: async () => undefined,
        consume: async () => ({ consumerTag: 't' }),
        close: async () => undefined,
      });
    };
    const live = { model: { createChannel: async () => channel() } };
    const connection = Object.assign(new EventEmitter(), {
      waitLive: () => new Promise((r) => connection.once('live', r)),
    });
    const subscribing = new AmqpBroadcast(connection as never, 't', 1_000).subscribe('catalog', () => undefined);
    await new Promise((r) => setImmediate(r));
    connection.emit('live', live);
    const sub = await subscribing;
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(channels).toBe(1);
    await sub.close();
  });
});
