// Fan-out: one notification to every subscriber of a big program, through the real broker to
// a fake provider that answers at once. Timed from the POST to the last message's sentAt.
import path from 'node:path';
import { tally, waitUntil, type DeliveryTally, type PhaseEnv } from './context';
import { EVENT_TYPE } from './fixtures';
import { postMany } from './load';
import { startSink, type SinkKind } from './sinks';
import { cpuMeter, type CpuShare } from './cpu';

export interface FanoutResult extends DeliveryTally {
  sink: SinkKind;
  subscribers: number;
  /** Messages published to the sms queue per second, dispatch start to finish. */
  fanoutPerS: number;
  /** Messages `sent` per second, from the POST to the last sentAt. */
  deliveredPerS: number;
  seconds: number;
  statuses: Record<string, number>;
  /** CPU seconds each process spent from the POST to the last message sent. */
  cpu: CpuShare;
}

export async function fanout(ctx: PhaseEnv, programId: string, subscribers: number, kind: SinkKind, timeoutMs: number, tag = 'fanout'): Promise<FanoutResult> {
  const smsDir = path.join(ctx.dir, `${tag}-${kind}-${subscribers}-sms`);
  const sink = await startSink(kind, smsDir);
  const pair = await ctx.launch(sink, `${tag}-${kind}-${subscribers}`, smsDir);
  try {
    const t0 = Date.now();
    const meter = cpuMeter({ ...pair.pids, ...ctx.services(), bench: process.pid });
    const post = () =>
      postMany(`${pair.url}/v1/notifications`, 1, 1, () => ({ programId, eventTypeId: EVENT_TYPE, startTime: new Date().toISOString(), data: { seq: `fanout-${kind}` } }));
    let accept = await post();
    // A refused connection cannot have created the notification: try again once.
    if (accept.bodies.length === 0 && Object.keys(accept.statuses).every((k) => k === 'error: ECONNREFUSED')) accept = await post();
    const id = (accept.bodies[0] as { id?: string } | undefined)?.id;
    if (!id) throw new Error(`fan-out POST answered ${JSON.stringify(accept.statuses)}`);
    let lastReport = Date.now();
    const progress = (): void => {
      pair.sample();
      if (Date.now() - lastReport < 10_000) return;
      lastReport = Date.now();
      const got = sink.received();
      ctx.say(`  ${kind}: ${got}/${subscribers} at the provider after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    };
    const reached = await waitUntil(() => sink.received() >= subscribers, timeoutMs, progress);
    const match = { notificationId: id };
    // The worker records `sent` after the provider answered: give the last few a moment.
    let statuses = await ctx.db.countByStatus(match);
    await waitUntil(async () => ((statuses = await ctx.db.countByStatus(match)).sent ?? 0) >= subscribers, reached ? 30_000 : 0, () => pair.sample(), 1000);
    const n = await ctx.db.notification(id);
    const last = await ctx.db.lastSentAt(match);
    const cpu = meter.stop();
    const peakMb = await pair.stop();
    const sent = statuses.sent ?? 0;
    const started = n?.dispatch.startedAt?.getTime() ?? t0;
    const finished = n?.dispatch.finishedAt?.getTime() ?? Date.now();
    const seconds = ((last?.getTime() ?? Date.now()) - t0) / 1000;
    return {
      ...tally(subscribers, sent, sink, reached, peakMb),
      sink: kind,
      subscribers,
      fanoutPerS: (n?.dispatch.messages ?? 0) / Math.max(0.001, (finished - started) / 1000),
      deliveredPerS: sent / Math.max(0.001, seconds),
      seconds,
      statuses: statuses as Record<string, number>,
      cpu,
    };
  } finally {
    await pair.stop().catch(() => undefined);
    await sink.close();
  }
}
