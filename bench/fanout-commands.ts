// MongoDB commands, documents written and Mongo-server CPU per message of a fan-out: a `herald server`
// and a `herald worker sms` in this process on MongoDB + RabbitMQ (unique database and queue prefix,
// removed after), one notification to N subscribers, the bench's http gateway as the provider. The
// counts come from the driver's command monitoring (they do not move with the machine's load); the
// server's CPU is read from /proc (run it against a Mongo test server of your own: MONGODB_URI).
//   npx tsx bench/fanout-commands.ts [subscribers=5000] [--metered] [--fanout-only]   (--metered: the default workspace with 1,000,000
//   credits; --fanout-only: no worker, timed until the notification's messages are all stored: the fan-out's share alone)
import { mongo } from 'mongoose';

const { BSON } = mongo;
import { disposeTestHerald, startTestHerald, testConfig } from '../test/support/herald';
import type { RunningHerald } from '../src/runtime';
import { cpuSeconds, servicePids } from './cpu';
import { EVENT_TYPE, openBenchDb } from './fixtures';
import { postMany } from './load';
import { startSink } from './sinks';
import { commandKey, monitorMongoCommands } from './mongo-monitor';

type Counts = { commands: number; ops: number };
const counts = new Map<string, Counts>();
const reads: number[] = [];
let counting = false;
// Every connection Herald opens: `<command> <collection>`, and the statements (documents, updates) in it.
monitorMongoCommands((e) => {
  if (!counting) return;
  const c = e.command as Record<string, unknown>;
  const key = commandKey(e);
  const ops = (c.updates as unknown[] | undefined)?.length ?? (c.documents as unknown[] | undefined)?.length ?? (c.deletes as unknown[] | undefined)?.length ?? 1;
  const cur = counts.get(key) ?? { commands: 0, ops: 0 };
  cur.commands++;
  cur.ops += ops;
  counts.set(key, cur);
  // The worker's batch reads: how many ids each `$in` holds (the test server re-checks each document against the whole list).
  const inList = ((c.filter as Record<string, unknown> | undefined)?._id as { $in?: unknown[] } | undefined)?.$in;
  if (e.commandName === 'find' && c.find === 'messages' && Array.isArray(inList)) reads.push(inList.length);
});

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 5000);
  const metered = process.argv.includes('--metered');
  const fanoutOnly = process.argv.includes('--fanout-only');
  const mongo = servicePids().mongo;
  if (!mongo) throw new Error('no Mongo server process found');
  const sink = await startSink('http', '/tmp');
  const config = testConfig('real', { 'log.level': 'info', 'scheduler.intervalMs': 1000, 'providers.sms': sink.providers, 'credits.defaultBalance': metered ? 1_000_000 : null });
  let server: RunningHerald | undefined;
  let worker: RunningHerald | undefined;
  try {
    server = await startTestHerald(config, 'server');
    if (!fanoutOnly) worker = await startTestHerald({ ...config, dispatchPort: 0 }, 'sms');
    const db = await openBenchDb(config.mongodbUri!);
    await db.createProgram('p');
    await db.subscribe('p', 'u', n, 1_000_000);
    counting = true;
    const [c0, p0, t0] = [cpuSeconds(mongo), process.cpuUsage(), Date.now()];
    await postMany(`${server.url}/v1/notifications`, 1, 1, () => ({ programId: 'p', eventTypeId: EVENT_TYPE, startTime: new Date().toISOString(), data: { seq: 'x' } }));
    if (fanoutOnly) {
      // The notification's own count (one document read by the test server, no scan of the messages).
      const stored = async () => Number(((await db.models.notifications.collection.findOne({}, { projection: { dispatch: 1 } }))?.dispatch as { messages?: number } | undefined)?.messages ?? 0);
      while ((await stored()) < n) await new Promise((r) => setTimeout(r, 100));
    } else {
      while (sink.received() < n) await new Promise((r) => setTimeout(r, 100));
    }
    // The records follow the provider's answers by a few ms, the usage rows by 100 ms, the log lines by 200 ms.
    await new Promise((r) => setTimeout(r, 1500));
    counting = false;
    const [c1, p1] = [cpuSeconds(mongo), process.cpuUsage(p0)];
    console.log('statuses', await db.countByStatus({ programId: 'p' }));
    console.log(`${n} messages in ${((Date.now() - t0) / 1000).toFixed(1)} s; Mongo server ${(((c1 - c0) * 1e6) / n).toFixed(0)} µs CPU/msg, this process (server + worker) ${((p1.user + p1.system) / n).toFixed(0)} µs/msg`);
    const per = (v: number) => (v / n).toFixed(3).padStart(8);
    console.log('   commands/msg  statements/msg  command');
    let total = { commands: 0, ops: 0 };
    for (const [k, v] of [...counts].sort((a, b) => b[1].ops - a[1].ops)) {
      total = { commands: total.commands + v.commands, ops: total.ops + v.ops };
      if (v.commands / n >= 0.0005) console.log(`  ${per(v.commands)}  ${per(v.ops)}      ${k}`);
    }
    console.log(`  ${per(total.commands)}  ${per(total.ops)}      in all`);
    const sorted = [...reads].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    console.log(`message reads by id: ${sorted.length}, ids a read: mean ${(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length)).toFixed(1)}, median ${at(0.5)}, p90 ${at(0.9)}, max ${at(1)}`);
    const rows = await db.models.usageRollups.countDocuments({});
    const msgs = await db.models.messages.countDocuments({});
    console.log(`documents: messages ${msgs}, usage rows ${rows} (${(rows / n).toFixed(2)}/msg), logs ${await db.models.logs.countDocuments({})}`);
    const one = await db.models.messages.collection.findOne({ status: 'sent' });
    if (one) console.log(`a sent message: ${BSON.calculateObjectSize(one)} bytes of BSON, ${Object.keys(one).length} fields`, one);
    await db.close();
  } finally {
    await worker?.stop();
    await disposeTestHerald(server);
    await sink.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
