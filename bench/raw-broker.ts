// The broker's own figure, without Herald: persistent messages published with publisher
// confirms (a bounded window in flight) and consumed with manual acks and Herald's prefetch.
import amqp from 'amqplib';
import { cpuMeter, servicePids, type CpuShare } from './cpu';

export interface RawBrokerResult {
  messages: number;
  publishPerS: number;
  endToEndPerS: number;
  seconds: number;
  /** CPU seconds of the broker and of this process (publisher and consumer) during the run. */
  cpu: CpuShare;
}

/**
 * Publishes `n` persistent `{messageId: <tag>-<i>}` bodies on a confirm channel, at most `window`
 * unconfirmed at once; resolves when every one is confirmed. `stop()` true ends the loop early.
 */
export async function publishConfirmed(pub: amqp.ConfirmChannel, queue: string, n: number, tag: string, window: number, stop = () => false): Promise<void> {
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const confirmed: Array<Promise<void>> = [];
  for (let i = 0; i < n && !stop(); i++) {
    while (inFlight >= window) await new Promise<void>((r) => (wake = r));
    inFlight++;
    const body = Buffer.from(JSON.stringify({ messageId: `${tag}-${i}` }));
    confirmed.push(
      new Promise<void>((resolve, reject) => {
        pub.publish('', queue, body, { persistent: true, mandatory: true, messageId: `${tag}-${i}` }, (err: unknown) => {
          inFlight--;
          wake?.();
          wake = undefined;
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve();
        });
      }),
    );
  }
  await Promise.all(confirmed);
}

export async function rawBroker(url: string, queue: string, n: number, prefetch: number, window = 500): Promise<RawBrokerResult> {
  const pubConn = await amqp.connect(url);
  const subConn = await amqp.connect(url);
  try {
    const pub = await pubConn.createConfirmChannel();
    await pub.assertQueue(queue, { durable: true });
    const sub = await subConn.createChannel();
    await sub.prefetch(prefetch);
    let acked = 0;
    const seen = new Set<string>();
    const done = new Promise<number>((resolve) => {
      void sub.consume(queue, (msg) => {
        if (!msg) return;
        seen.add(String(msg.properties.messageId));
        sub.ack(msg);
        if (++acked === n) resolve(Date.now());
      });
    });
    const meter = cpuMeter({ broker: servicePids().broker, bench: process.pid });
    const t0 = Date.now();
    await publishConfirmed(pub, queue, n, 'raw', window);
    const published = Date.now();
    const end = await done;
    const cpu = meter.stop();
    if (seen.size !== n) throw new Error(`raw broker: ${seen.size} distinct of ${n} messages consumed`);
    await pub.deleteQueue(queue);
    const s = (end - t0) / 1000;
    return { messages: n, publishPerS: n / ((published - t0) / 1000), endToEndPerS: n / s, seconds: s, cpu };
  } finally {
    await pubConn.close().catch(() => undefined);
    await subConn.close().catch(() => undefined);
  }
}
