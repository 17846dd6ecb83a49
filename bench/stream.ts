// A stream of small notifications: many POSTs at a bounded concurrency to a program with a
// few subscribers, while the server also fans them out; and the same load against a bare
// express app that only answers 202, so the ratio says what Herald's accept path costs.
import path from 'node:path';
import { tally, waitUntil, type DeliveryTally, type PhaseEnv } from './context';
import { cpuMeter, type CpuShare } from './cpu';
import { EVENT_TYPE } from './fixtures';
import { keepAliveAgent, postMany, type LoadResult } from './load';
import { freePort, startChild } from './processes';
import { startSink, type SinkKind } from './sinks';

export interface StreamResult extends DeliveryTally {
  sink: SinkKind;
  notifications: number;
  subscribers: number;
  concurrency: number;
  herald: Omit<LoadResult, 'bodies'>;
  bare: Omit<LoadResult, 'bodies'>;
  /** The warm-up's requests, on connections opened as they went (before the fan-out load). */
  warmUp: Omit<LoadResult, 'bodies'>;
  /** Messages `sent` per second, from the first POST to the last sentAt. */
  deliveredPerS: number;
  messages: number;
  /** CPU seconds each process spent from the first POST to the last message sent. */
  cpu: CpuShare;
}

const strip = ({ bodies: _b, ...rest }: LoadResult): Omit<LoadResult, 'bodies'> => rest;

/** Requests sent before the timed ones, not counted: a process's first burst pays for its JIT compilation. */
export const WARM_UP = 100;

async function bareReference(ctx: PhaseEnv, n: number, concurrency: number, body: (i: number) => object): Promise<LoadResult> {
  const port = await freePort();
  const child = await startChild(ctx.dir, 'bare-express', ['--require', 'tsx/cjs', path.join(__dirname, 'bare-server.ts'), String(port)], {}, /listening/);
  const agent = keepAliveAgent(concurrency);
  try {
    await postMany(`http://127.0.0.1:${port}/v1/notifications`, WARM_UP, concurrency, body, agent);
    return await postMany(`http://127.0.0.1:${port}/v1/notifications`, n, concurrency, body, agent);
  } finally {
    agent.destroy();
    await child.stop();
  }
}

export async function stream(
  ctx: PhaseEnv,
  programId: string,
  subscribers: number,
  n: number,
  concurrency: number,
  kind: SinkKind,
  timeoutMs: number,
  tag = 'stream',
): Promise<StreamResult> {
  const body = (i: number) => ({ programId, eventTypeId: EVENT_TYPE, startTime: new Date().toISOString(), data: { seq: i } });
  const bare = await bareReference(ctx, n, concurrency, body);
  const smsDir = path.join(ctx.dir, `${tag}-${kind}-sms`);
  const sink = await startSink(kind, smsDir);
  const pair = await ctx.launch(sink, `${tag}-${kind}`, smsDir);
  try {
    const t0 = Date.now();
    const meter = cpuMeter({ ...pair.pids, ...ctx.services(), bench: process.pid });
    const sampler = setInterval(() => pair.sample(), 500);
    // Warm-up notifications are real ones: their messages count with the others (sent, lost, duplicated).
    // The timed requests go over the warm-up's keep-alive connections, as a client with a connection pool sends them:
    // 50 new connections at once would each wait for the busy server's accept (libuv takes one a turn), and at 2,000
    // requests those 50 first answers are the p99. The warm-up's figures (its connections opened) are reported beside.
    const agent = keepAliveAgent(concurrency);
    const warm = await postMany(`${pair.url}/v1/notifications`, WARM_UP, concurrency, (i) => body(n + i), agent);
    const herald = await postMany(`${pair.url}/v1/notifications`, n, concurrency, body, agent).finally(() => (clearInterval(sampler), agent.destroy()));
    const accepted = herald.statuses['202'] ?? 0;
    const messages = (accepted + (warm.statuses['202'] ?? 0)) * subscribers;
    const match = { programId };
    let sent = 0;
    const reached = await waitUntil(() => sink.received() >= messages, timeoutMs, () => pair.sample());
    await waitUntil(async () => ((await ctx.db.countByStatus(match)).sent ?? 0) >= messages, reached ? 30_000 : 0, () => pair.sample(), 1000);
    sent = (await ctx.db.countByStatus(match)).sent ?? 0;
    const last = await ctx.db.lastSentAt(match);
    const cpu = meter.stop();
    const peakMb = await pair.stop();
    const t = tally(messages, sent, sink, reached, peakMb);
    return {
      ...t,
      sink: kind,
      notifications: n,
      subscribers,
      concurrency,
      herald: strip(herald),
      bare: strip(bare),
      warmUp: strip(warm),
      deliveredPerS: sent / Math.max(0.001, ((last?.getTime() ?? Date.now()) - t0) / 1000),
      messages,
      cpu,
      // Every POST must also have been accepted.
      completed: t.completed && accepted === n && warm.statuses['202'] === WARM_UP,
    };
  } finally {
    await pair.stop().catch(() => undefined);
    await sink.close();
  }
}
