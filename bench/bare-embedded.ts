// The embedded default's reference: the smallest dispatcher on the embedded SQLite queue, no
// store. Publishes the ids in jobs of `perJob` (as Herald's dispatcher does: dispatch.messagesPerDelivery),
// a consumer POSTs each id to the fake HTTP gateway with Herald's own HTTP client, at most
// `prefetch` at once, and acks a job once every id of it got its 200. One process (this one).
import path from 'node:path';
import { createEmbeddedBus } from '../src/bus/embedded';
import { httpCall } from '../src/providers/http-call';
import { cpuMeter } from './cpu';
import type { BarePipelineResult } from './bare-pipeline';
import { startSink } from './sinks';

/** The same figures as the broker's bare pipeline; `cpu` is this one process (publisher, queue, consumer and gateway). */
export type BareEmbeddedResult = BarePipelineResult;

export async function bareEmbedded(dataDir: string, n: number, prefetch: number, perJob: number): Promise<BareEmbeddedResult> {
  const gateway = await startSink('http', dataDir);
  const gatewayUrl = String(gateway.providers[0].options.url);
  const bus = createEmbeddedBus({ file: path.join(dataDir, 'bare-queue.db') });
  await bus.connect();
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (inFlight < prefetch) {
      inFlight++;
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const free = (): void => {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  };
  let posted = 0;
  let failed: Error | undefined;
  let finish!: (t: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const post = async (id: string): Promise<void> => {
    await slot();
    try {
      const reply = await httpCall('bare', {
        method: 'POST',
        url: gatewayUrl,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ messageId: id }),
        timeoutMs: 10_000,
      });
      if (reply.status !== 200) throw new Error(`gateway answered ${reply.status}`);
      if (++posted === n) finish(Date.now());
    } finally {
      free();
    }
  };
  try {
    const consumer = await bus.consume(
      'sms',
      async (d) => {
        const ids = (d.body as { messageIds: string[] }).messageIds;
        try {
          await Promise.all(ids.map(post));
        } catch (e) {
          failed ??= e as Error;
          finish(Date.now());
        }
        return { action: 'ack' };
      },
      { prefetch: Math.max(1, Math.ceil(prefetch / perJob) * 2) },
    );
    const meter = cpuMeter({ bench: process.pid });
    const t0 = Date.now();
    const confirms: Array<Promise<void>> = [];
    for (let i = 0; i < n; i += perJob) {
      const ids = Array.from({ length: Math.min(perJob, n - i) }, (_, k) => `bare-${i + k}`);
      confirms.push(bus.publish('sms', { messageIds: ids }, { messageId: `${ids[0]}+${ids.length}` }));
      // Let the consumer run between publishes, as the dispatcher's other work would.
      if (confirms.length % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(confirms);
    const published = Date.now();
    const end = await done;
    const cpu = meter.stop();
    await consumer.cancel();
    if (failed) throw failed;
    const received = gateway.received();
    const distinct = gateway.distinct();
    if (distinct !== n) throw new Error(`bare embedded pipeline: ${distinct} distinct of ${n} messages reached the gateway`);
    const s = (end - t0) / 1000;
    return { messages: n, publishPerS: n / Math.max(0.001, (published - t0) / 1000), endToEndPerS: n / s, seconds: s, received, distinct, cpu };
  } finally {
    await bus.close().catch(() => undefined);
    await gateway.close().catch(() => undefined);
  }
}
