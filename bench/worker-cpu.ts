// CPU per message of a `herald worker sms` child alone (compiled dist/, as the bench runs it) on
// MongoDB + RabbitMQ: N `queued` SMS messages stored as a fan-out stores them, their ids published
// to the sms queue in deliveries of 25 (as the dispatcher does), sent to the bench's `http` gateway.
// No `herald server`: only the worker's own work is metered (read from /proc), with the Mongo test
// server's beside it. A warm-up round first (JIT), then `rounds` measured rounds on the same worker.
//   npx tsx bench/worker-cpu.ts [messages=10000] [rounds=3] [--no-build] [--cpu-prof DIR]
// With BENCH_CHILD_NODE_OPTIONS="--require probe.js" a probe in the child can count allocations; with
// WORKER_CPU_SIGNALS=1 the worker gets SIGUSR2 right before and right after each measured round.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAmqpBus } from '../src/bus/amqp';
import type { NewMessage } from '../src/store/store';
import { disposeInstallation } from '../test/support/herald';
import { AMQP_URL, uniqueMongoUri, uniqueName } from '../test/support/services';
import { cpuMeter, servicePids } from './cpu';
import { openBenchDb } from './fixtures';
import { buildHerald, startHeraldChild } from './processes';
import { startSink } from './sinks';

const args = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--cpu-prof');
const n = Number(args[0] ?? 10_000);
const rounds = Number(args[1] ?? 3);
const profAt = process.argv.indexOf('--cpu-prof');
const cpuProfile = profAt > 0 ? { dir: path.resolve(process.argv[profAt + 1]) } : undefined;
const WARM_UP = 3_000;
const PER_DELIVERY = 25;
/** SIGUSR2 ends a process with no listener: sent only when asked (WORKER_CPU_SIGNALS=1, a probe listening). */
const probe = process.env.WORKER_CPU_SIGNALS === '1';
const NID = 'b7c0a3f2-5d1e-4c55-9d0e-0f4c2b9a7e11';

/** A message as the fan-out stores a sendable one (accepted, then queued, in one write). */
function message(round: number, i: number, at: Date): NewMessage {
  const user = `w${round}-${String(i).padStart(6, '0')}`;
  const text = `Hi User ${i}, bench notice worker-${round}.`;
  return {
    id: `${NID}:${user}:sms`, workspaceId: 'default', notificationId: NID, programId: 'fanout', eventTypeId: 'bench', userId: user, channel: 'sms',
    to: `+2547${String(10_000_000 + i).padStart(8, '0')}`, content: { text }, sms: { encoding: 'GSM-7', segments: 1, parts: [text] },
    status: 'queued', statusHistory: [{ status: 'accepted', at }, { status: 'queued', at }], validUntil: new Date(at.getTime() + 3_600_000), attempts: 0,
  };
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) buildHerald();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-worker-cpu-'));
  const mongodbUri = uniqueMongoUri('herald_bench');
  const amqpPrefix = uniqueName('bench');
  const db = await openBenchDb(mongodbUri);
  const sink = await startSink('http', dir);
  const smsDir = path.join(dir, 'sms');
  fs.mkdirSync(smsDir, { recursive: true });
  const bus = createAmqpBus({ url: AMQP_URL, prefix: amqpPrefix });
  let stopWorker: (() => Promise<number>) | undefined;
  try {
    const worker = await startHeraldChild(dir, 'worker-cpu-sms', 'sms', {
      host: '127.0.0.1', seedDemoData: 'never', mongodbUri, amqpUrl: AMQP_URL, amqpPrefix, dispatchPort: 0, dataDir: smsDir, 'providers.sms': sink.providers,
    }, cpuProfile);
    stopWorker = () => worker.stop();
    await bus.connect();
    let expected = 0;
    const run = async (r: number, count: number): Promise<{ workerUs: number; mongoUs: number; perS: number }> => {
      const at = new Date();
      for (let i = 0; i < count; i += 500) await db.store.messages.insertMany(Array.from({ length: Math.min(500, count - i) }, (_, k) => message(r, i + k, at)));
      const ids = Array.from({ length: count }, (_, i) => message(r, i, at).id);
      expected += count;
      const measured = r > 0;
      if (measured && probe) process.kill(worker.pid, 'SIGUSR2');
      const meter = cpuMeter({ worker: worker.pid, ...servicePids() });
      const t0 = Date.now();
      for (let i = 0; i < ids.length; i += PER_DELIVERY) {
        const chunk = ids.slice(i, i + PER_DELIVERY);
        await bus.publish('sms', { messageIds: chunk }, { messageId: `${chunk[0]}+${chunk.length}` });
      }
      while ((((await db.countByStatus({ notificationId: NID })).sent ?? 0) as number) < expected) await new Promise((res) => setTimeout(res, 100));
      const seconds = (Date.now() - t0) / 1000;
      const c = meter.stop();
      if (measured && probe) process.kill(worker.pid, 'SIGUSR2');
      return { workerUs: (c.worker * 1e6) / count, mongoUs: ((c.mongo ?? 0) * 1e6) / count, perS: count / seconds };
    };
    await run(0, WARM_UP);
    const rows: number[] = [];
    for (let r = 1; r <= rounds; r++) {
      const x = await run(r, n);
      rows.push(x.workerUs);
      console.log(`round ${r}: worker ${x.workerUs.toFixed(1)} µs a message, mongo ${x.mongoUs.toFixed(0)} µs, ${x.perS.toFixed(0)} msg/s`);
    }
    const sorted = rows.slice().sort((a, b) => a - b);
    console.log(`median: worker ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} µs a message (lost ${expected - sink.distinct()}, duplicated ${sink.received() - sink.distinct()})`);
  } finally {
    await stopWorker?.().catch(() => undefined);
    await bus.close().catch(() => undefined);
    await sink.close();
    await db.close().catch(() => undefined);
    await disposeInstallation(AMQP_URL, amqpPrefix, mongodbUri).catch(() => undefined);
    if (!process.env.WORKER_CPU_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
