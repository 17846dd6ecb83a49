// A consumer cancelled while it is attaching (a shutdown right after a (re)connect) must still drain:
// the deliveries its new channel took before the cancel are finished and acked before the channel
// closes, not handed back under handlers still running (then handled a second time by another worker).
import { EventEmitter } from 'node:events';
import type { ConsumeMessage } from 'amqplib';
import { AmqpConsumer } from '../../src/bus/amqp/consumer';

function fakeChannel(deliver: Array<ConsumeMessage>) {
  const ch = new EventEmitter() as EventEmitter & Record<string, unknown>;
  const log: string[] = [];
  let closed = false;
  Object.assign(ch, {
    prefetch: async () => undefined,
    consume: async (_q: string, cb: (m: ConsumeMessage | null) => void) => {
      for (const m of deliver) cb(m);
      return { consumerTag: 'ctag' };
    },
    cancel: async () => void log.push('cancel'),
    ack: (m: ConsumeMessage) => {
      if (closed) throw new Error('channel closed');
      log.push(`ack ${m.content.toString()}`);
    },
    nack: () => void log.push('nack'),
    close: async () => {
      closed = true;
      log.push('close');
      ch.emit('close');
    },
  });
  return { ch, log };
}

const msg = (body: string): ConsumeMessage => ({ content: Buffer.from(body), fields: { redelivered: false }, properties: { headers: {} } }) as never;

describe('amqp consumer cancelled while attaching', () => {
  it('finishes and acks what the new channel delivered before closing it', async () => {
    const { ch, log } = fakeChannel([msg('{"n":1}')]);
    const connection = Object.assign(new EventEmitter(), { current: { model: { createChannel: async () => ch } } });
    let finish: () => void = () => undefined;
    const handler = () => new Promise<{ action: 'ack' }>((r) => (finish = () => r({ action: 'ack' })));
    const consumer = new AmqpConsumer({ connection, publisher: {}, prefix: 't', drainTimeoutMs: 60_000 } as never, 'sms', handler, 10, () => undefined);
    const attached = consumer.attach();
    const cancelled = consumer.cancel();
    await attached;
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    finish();
    await cancelled;
    expect(log).toEqual(['cancel', 'ack {"n":1}', 'close']);
  });
});
