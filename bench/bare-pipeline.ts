// The smallest dispatcher without a store: amqplib publishes with confirms, a consumer POSTs each
// message to the bench's fake HTTP gateway with Herald's own HTTP client and acks on its 200.
import amqp from 'amqplib';
import { httpCall } from '../src/providers/http-call';
import { cpuMeter, servicePids, type CpuShare } from './cpu';
import { publishConfirmed } from './raw-broker';
import { startSink } from './sinks';

export interface BarePipelineResult {
  messages: number;
  publishPerS: number;
  endToEndPerS: number;
  seconds: number;
  /** Gateway counts: lost = messages - distinct, duplicated = received - distinct. */
  received: number;
  distinct: number;
  /** CPU seconds of the broker and of this process (publisher, consumer and gateway) during the run. */
  cpu: CpuShare;
}

export async function barePipeline(url: string, queue: string, dataDir: string, n: number, prefetch: number, window = 500): Promise<BarePipelineResult> {
  const gateway = await startSink('http', dataDir);
  const gatewayUrl = String(gateway.providers[0].options.url);
  const pubConn = await amqp.connect(url);
  const subConn = await amqp.connect(url);
  try {
    const pub = await pubConn.createConfirmChannel();
    await pub.assertQueue(queue, { durable: true });
    const sub = await subConn.createChannel();
    await sub.prefetch(prefetch);
    let acked = 0;
    let failed: Error | undefined;
    const done = new Promise<number>((resolve, reject) => {
      void sub.consume(queue, (msg) => {
        if (!msg) return;
        void httpCall('bare', {
          method: 'POST',
          url: gatewayUrl,
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: msg.content.toString('utf8'),
          timeoutMs: 10_000,
        }).then(
          (reply) => {
            if (reply.status !== 200) throw new Error(`gateway answered ${reply.status}`);
            sub.ack(msg);
            if (++acked === n) resolve(Date.now());
          },
        ).catch((e: unknown) => {
          failed ??= e instanceof Error ? e : new Error(String(e));
          reject(failed);
        });
      });
    });
    done.catch(() => undefined); // awaited below; a failure before then must not be unhandled
    const meter = cpuMeter({ broker: servicePids().broker, bench: process.pid });
    const t0 = Date.now();
    await publishConfirmed(pub, queue, n, 'bare', window, () => failed !== undefined);
    const published = Date.now();
    const end = await done;
    const cpu = meter.stop();
    const received = gateway.received();
    const distinct = gateway.distinct();
    if (distinct !== n) throw new Error(`bare pipeline: ${distinct} distinct of ${n} messages reached the gateway`);
    await pub.deleteQueue(queue);
    const s = (end - t0) / 1000;
    return { messages: n, publishPerS: n / ((published - t0) / 1000), endToEndPerS: n / s, seconds: s, received, distinct, cpu };
  } finally {
    await pubConn.close().catch(() => undefined);
    await subConn.close().catch(() => undefined);
    await gateway.close().catch(() => undefined);
  }
}
