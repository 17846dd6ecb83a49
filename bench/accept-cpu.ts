// CPU per accepted notification of a `herald server` child (compiled dist/, as the bench runs it) on
// MongoDB + RabbitMQ, read from /proc: N POSTs at 50 in flight to a program with 5 SMS subscribers,
// then until every notification is dispatched (no SMS worker: the sms queue just fills). Split into the
// request window (accepting, with the fan-out rounds the yield gate lets through) and the whole (accept +
// fan-out). The Mongo test server's CPU is shown beside. Rounds alternate nothing: run it on each commit.
//   npx tsx bench/accept-cpu.ts [notifications=1000] [rounds=3] [--no-build] [--cpu-prof DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { disposeInstallation } from '../test/support/herald';
import { AMQP_URL, uniqueMongoUri, uniqueName } from '../test/support/services';
import { cpuMeter, servicePids } from './cpu';
import { EVENT_TYPE, openBenchDb } from './fixtures';
import { keepAliveAgent, postMany } from './load';
import { buildHerald, freePort, startHeraldChild } from './processes';

const args = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--cpu-prof');
const n = Number(args[0] ?? 1000);
const rounds = Number(args[1] ?? 3);
const profAt = process.argv.indexOf('--cpu-prof');
const cpuProfile = profAt > 0 ? { dir: path.resolve(process.argv[profAt + 1]) } : undefined;
const WARM_UP = 300;

interface Round { acceptUs: number; wholeUs: number; mongoUs: number; perS: number; p99: number }

async function round(dir: string, r: number): Promise<Round> {
  const mongodbUri = uniqueMongoUri('herald_bench');
  const amqpPrefix = uniqueName('bench');
  const db = await openBenchDb(mongodbUri);
  try {
    await db.createProgram('acc');
    await db.subscribe('acc', 'a', 5, 80_000_000);
    const port = await freePort();
    const serverDir = path.join(dir, `acc${r}-server`);
    fs.mkdirSync(serverDir, { recursive: true });
    const server = await startHeraldChild(dir, `acc${r}-server`, 'server', {
      host: '127.0.0.1', seedDemoData: 'never', mongodbUri, amqpUrl: AMQP_URL, amqpPrefix, dispatchPort: port, dataDir: serverDir,
    }, cpuProfile);
    try {
      const url = `http://127.0.0.1:${port}/v1/notifications`;
      const body = (i: number) => ({ programId: 'acc', eventTypeId: EVENT_TYPE, startTime: new Date().toISOString(), data: { seq: i } });
      const dispatched = async () => (await db.models.notifications.countDocuments({ status: 'dispatched' })) as number;
      const settle = async (count: number) => {
        for (let i = 0; i < 600 && (await dispatched()) < count; i++) await new Promise((res) => setTimeout(res, 100));
      };
      const agent = keepAliveAgent(50);
      await postMany(url, WARM_UP, 50, (i) => body(n + i), agent);
      await settle(WARM_UP);
      const pids = { server: server.pid, ...servicePids() };
      const whole = cpuMeter(pids);
      const accept = cpuMeter(pids);
      const load = await postMany(url, n, 50, body, agent);
      const a = accept.stop();
      await settle(WARM_UP + n);
      const w = whole.stop();
      agent.destroy();
      return { acceptUs: (a.server * 1e6) / n, wholeUs: (w.server * 1e6) / n, mongoUs: ((w.mongo ?? 0) * 1e6) / n, perS: load.perS, p99: load.p99Ms };
    } finally {
      await server.stop();
    }
  } finally {
    await db.close().catch(() => undefined);
    await disposeInstallation(AMQP_URL, amqpPrefix, mongodbUri).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  if (!process.argv.includes('--no-build')) buildHerald();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-accept-cpu-'));
  const rows: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const x = await round(dir, r);
    rows.push(x);
    console.log(`round ${r + 1}: server ${x.acceptUs.toFixed(0)} µs a request while accepting, ${x.wholeUs.toFixed(0)} µs a notification accepted + fanned out; mongo ${x.mongoUs.toFixed(0)} µs; ${x.perS.toFixed(0)} accepted/s, p99 ${x.p99.toFixed(1)} ms`);
  }
  const med = (f: (x: Round) => number) => rows.map(f).sort((a, b) => a - b)[Math.floor(rows.length / 2)].toFixed(0);
  console.log(`median: server ${med((x) => x.acceptUs)} µs a request while accepting, ${med((x) => x.wholeUs)} µs accepted + fanned out; mongo ${med((x) => x.mongoUs)} µs`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
