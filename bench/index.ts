// `npm run bench [-- --quick] [-- --sinks twilio,outbox]`: Herald under load on this machine,
// next to the raw broker's own figure; prints a table and writes docs/benchmarks.md.
// `npm run bench -- --only stream,embedded`: only those phases (nothing written); phases: raw, bare, fanout,
// compare, stream, embedded, usage, sheets, metering, campaigns. `--only metering [--metering-subscribers N] [--metering-rounds N] [--metering-backends mongo,embedded]`,
// `--only campaigns [--import-rows N] [--campaign-messages N]`: the CSV import and a campaign run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AMQP_URL, uniqueMongoUri, uniqueName } from '../test/support/services';
import { pairEnv, type BenchContext } from './context';
import { servicePids } from './cpu';
import { bareEmbedded } from './bare-embedded';
import { embeddedInstallation } from './embedded';
import { fanout, type FanoutResult } from './fanout';
import { openBenchDb } from './fixtures';
import { loadConfig } from '../src/config';
import { disposeInstallation } from '../test/support/herald';
import { buildHerald } from './processes';
import { barePipeline, type BarePipelineResult } from './bare-pipeline';
import { rawBroker, type RawBrokerResult } from './raw-broker';
import { deliveryFailures, renderReport, renderTable, machine, type BenchReport, type EmbeddedReport } from './report';
import { availableSinks, type SinkKind } from './sinks';
import { stream, type StreamResult } from './stream';
import { meteringPhase, type MeteringResult } from './metering';
import { usageBench } from './usage';
import { sheetsBench } from './sheets';
import { campaignRunBench, importBench } from './campaigns';

export interface BenchOptions {
  quick: boolean;
  /** The provider of the big fan-out and the stream: the minimal `http` one when registered. */
  mainSink: SinkKind;
  /** Providers compared on a smaller fan-out (what a provider's own client costs). */
  sinks: SinkKind[];
  subscribers: number;
  compareSubscribers: number;
  rawMessages: number;
  streamNotifications: number;
  streamSubscribers: number;
  concurrency: number;
  prefetch: number;
  /** Messages whose usage counters the usage-API phase writes before timing it. */
  usageMessages: number;
  /** Events the Google Sheets export phase exports (to the local fake of the Sheets API). */
  sheetsEvents: number;
  write: boolean;
  /** Run only these phases (no report file). */
  only?: Phase[];
  /** Rows of the CSV import phase (1,000,000: the bounded-memory check). */
  importRows: number;
  /** Recipients of the campaign run end to end. */
  campaignMessages: number;
  /** Subscribers of the metering on/off fan-outs. */
  meteringSubscribers: number;
  /** Unmetered/metered pairs run alternately (ABBA); the median of each side counts. */
  meteringRounds: number;
  /** Backends of the metering phase (`--metering-backends mongo,embedded`, both by default). */
  meteringBackends: Array<'mongo' | 'embedded'>;
  /** Folder for the children's V8 CPU profiles (--cpu-prof <dir>); summarise with bench/cpu-top.ts. */
  cpuProfileDir?: string;
  /** Ids per job of the embedded bare pipeline: Herald's dispatch.messagesPerDelivery. */
  messagesPerDelivery: number;
}

export const PHASES = ['raw', 'bare', 'fanout', 'compare', 'stream', 'embedded', 'usage', 'sheets', 'metering', 'campaigns'] as const;
export type Phase = (typeof PHASES)[number];

export function parseArgs(argv: string[]): BenchOptions {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  // The outbox fsyncs every line: slow on purpose, so it runs only when asked for.
  const sinks = (flag('sinks')?.split(',') as SinkKind[] | undefined) ?? availableSinks().filter((s) => s !== 'outbox');
  const unknown = sinks.filter((s) => !availableSinks().includes(s));
  if (unknown.length) throw new Error(`unknown or unavailable sink(s) ${unknown.join(', ')}; available: ${availableSinks().join(', ')}`);
  const mainSink = (flag('main-sink') as SinkKind | undefined) ?? (availableSinks().includes('http') ? 'http' : 'twilio');
  if (!availableSinks().includes(mainSink)) throw new Error(`unavailable main sink ${mainSink}`);
  return {
    quick,
    mainSink,
    sinks,
    subscribers: Number(flag('subscribers') ?? (quick ? 10_000 : 100_000)),
    compareSubscribers: Number(flag('compare') ?? (quick ? 2_000 : 10_000)),
    rawMessages: Number(flag('raw') ?? (quick ? 20_000 : 100_000)),
    streamNotifications: Number(flag('notifications') ?? (quick ? 500 : 2_000)),
    streamSubscribers: 5,
    concurrency: Number(flag('concurrency') ?? 50),
    usageMessages: Number(flag('usage-messages') ?? 1_000_000),
    sheetsEvents: Number(flag('sheets-events') ?? (quick ? 20_000 : 100_000)),
    prefetch: Number(flag('prefetch') ?? loadConfig({}).worker.prefetch),
    write: !argv.includes('--no-write') && flag('only') === undefined,
    only: parseOnly(flag('only')),
    messagesPerDelivery: loadConfig({}).dispatch.messagesPerDelivery,
    meteringSubscribers: Number(flag('metering-subscribers') ?? (quick ? 2_000 : 10_000)),
    meteringRounds: Number(flag('metering-rounds') ?? (quick ? 3 : 4)),
    meteringBackends: (flag('metering-backends') ?? 'mongo,embedded').split(',').filter((b): b is 'mongo' | 'embedded' => b === 'mongo' || b === 'embedded'),
    importRows: Number(flag('import-rows') ?? (quick ? 100_000 : 1_000_000)),
    campaignMessages: Number(flag('campaign-messages') ?? (quick ? 5_000 : 20_000)),
    cpuProfileDir: flag('cpu-prof') ? path.resolve(flag('cpu-prof')!) : undefined,
  };
}

function parseOnly(v: string | undefined): BenchOptions['only'] {
  if (v === undefined) return undefined;
  const list = v.split(',') as Phase[];
  const bad = list.filter((p) => !PHASES.includes(p));
  if (bad.length) throw new Error(`--only ${v}: unknown phase(s) ${bad.join(', ')}; phases: ${PHASES.join(', ')}`);
  return list;
}

function servicesUp(say: (s: string) => void): void {
  const script = path.resolve(__dirname, '..', 'scripts', 'test-services.sh');
  say('checking RabbitMQ and MongoDB (scripts/test-services.sh)');
  execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** A Herald installation of its own (database and queue prefix) for one phase, removed afterwards. */
async function withInstallation<T>(base: Omit<BenchContext, 'mongodbUri' | 'amqpPrefix' | 'db'>, fn: (ctx: BenchContext) => Promise<T>): Promise<T> {
  const mongodbUri = uniqueMongoUri('herald_bench');
  const amqpPrefix = uniqueName('bench');
  const db = await openBenchDb(mongodbUri);
  try {
    return await fn({ ...base, mongodbUri, amqpPrefix, db });
  } finally {
    await db.close().catch(() => undefined);
    await disposeInstallation(base.amqpUrl, amqpPrefix, mongodbUri).catch((e) => base.say(`clean-up failed: ${(e as Error).message}`));
  }
}

export async function runBench(opts: BenchOptions, say: (s: string) => void): Promise<BenchReport> {
  servicesUp(say);
  say('compiling Herald (npm run build): the children run dist/, as deployed');
  buildHerald();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bench-'));
  const base = { dir, amqpUrl: AMQP_URL, heraldOverrides: { 'worker.prefetch': opts.prefetch }, cpuProfileDir: opts.cpuProfileDir, say };
  const started = Date.now();
  const install = <T>(overrides: Record<string, unknown>, fn: (ctx: BenchContext) => Promise<T>) =>
    withInstallation({ ...base, heraldOverrides: { ...base.heraldOverrides, ...overrides } }, fn);
  const selected = (p: Phase) => opts.only === undefined || opts.only.includes(p);
  const failed: string[] = [];
  /** A phase that throws (a confirm timeout on a busy broker, say) is reported and the others still run; the run then fails. */
  const phase = async (p: Phase, fn: () => Promise<void>): Promise<void> => {
    if (!selected(p)) return;
    try {
      await fn();
    } catch (e) {
      const msg = `${p}: ${(e as Error).message ?? e}`;
      failed.push(msg);
      say(`  PHASE FAILED ${msg}`);
    }
  };
  const report: BenchReport = { options: opts, machine: machine(), date: new Date(), durationS: 0, fanouts: [] };
  try {
    await phase('raw', async () => {
      say(`raw broker: ${opts.rawMessages} persistent messages, confirms, manual acks, prefetch ${opts.prefetch}`);
      report.raw = await rawBroker(AMQP_URL, `${uniqueName('bench')}.raw`, opts.rawMessages, opts.prefetch);
      say(`  ${Math.round(report.raw.endToEndPerS)} msg/s end to end`);
    });
    await phase('bare', async () => {
      say(`bare pipeline: ${opts.rawMessages} messages, each POSTed to the http gateway before its ack, prefetch ${opts.prefetch}`);
      report.bare = await barePipeline(AMQP_URL, `${uniqueName('bench')}.bare`, dir, opts.rawMessages, opts.prefetch);
      say(`  ${Math.round(report.bare.endToEndPerS)} msg/s end to end`);
    });

    const fanoutRuns: Array<[Phase, SinkKind, number, number]> = [
      ['fanout', opts.mainSink, opts.subscribers, opts.quick ? 120_000 : Math.max(400_000, opts.subscribers * 4)],
      ...opts.sinks.map((k): [Phase, SinkKind, number, number] => ['compare', k, opts.compareSubscribers, 120_000]),
    ];
    for (const [p, sink, subscribers, timeoutMs] of fanoutRuns) await phase(p, async () => {
      // A fresh database per run: each starts from the same state, whatever ran before.
      const r = await withInstallation(base, async (ctx) => {
        const seedStart = Date.now();
        await ctx.db.createProgram('fanout');
        await ctx.db.subscribe('fanout', 'f', subscribers, 0);
        say(`fan-out (MongoDB + RabbitMQ): 1 notification x ${subscribers} subscribers (seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s) -> ${sink}`);
        return fanout(pairEnv(ctx, servicePids), 'fanout', subscribers, sink, timeoutMs);
      });
      say(`  ${Math.round(r.deliveredPerS)} msg/s delivered, fan-out ${Math.round(r.fanoutPerS)} msg/s, lost ${r.lost ?? '?'}, duplicated ${r.duplicated}${r.completed ? '' : `, ${r.unfinished} unsent at the time limit`}`);
      report.fanouts.push(r);
    });

    await phase('stream', async () => {
      say(`accept stream (MongoDB + RabbitMQ): ${opts.streamNotifications} notifications x ${opts.streamSubscribers} subscribers, concurrency ${opts.concurrency} -> ${opts.mainSink}`);
      report.stream = await withInstallation(base, async (ctx) => {
        await ctx.db.createProgram('stream');
        await ctx.db.subscribe('stream', 's', opts.streamSubscribers, 90_000_000);
        return stream(pairEnv(ctx, servicePids), 'stream', opts.streamSubscribers, opts.streamNotifications, opts.concurrency, opts.mainSink, 150_000);
      });
      say(`  ${Math.round(report.stream.herald.perS)} accepted/s (bare express ${Math.round(report.stream.bare.perS)}/s), p99 ${report.stream.herald.p99Ms.toFixed(1)} ms`);
    });

    await phase('embedded', async () => {
      report.embedded = await embeddedPhases(opts, dir, say);
    });

    await phase('usage', async () => {
      say(`usage API: counters for ${opts.usageMessages} messages, then timed requests (alone: npx tsx bench/usage.ts)`);
      report.usage = [
        await usageBench({ messages: opts.usageMessages, say, store: 'sqlite' }),
        await usageBench({ messages: opts.usageMessages, say, store: 'mongo', runs: 5 }),
      ];
    });
    await phase('sheets', async () => {
      say(`Google Sheets export: ${opts.sheetsEvents} events through the sheets queue to the local Sheets API fake (alone: npx tsx bench/sheets.ts)`);
      report.sheets = await sheetsBench({ events: opts.sheetsEvents, say });
      say(`  ${Math.round(report.sheets.rowsPerS)} rows/s, ${report.sheets.calls.append} appends, lost ${report.sheets.lost}, duplicated ${report.sheets.duplicated}`);
    });
    await phase('metering', async () => {
      const common = { subscribers: opts.meteringSubscribers, sink: opts.mainSink, rounds: opts.meteringRounds, say };
      report.metering = [];
      if (opts.meteringBackends.includes('mongo')) report.metering.push(await meteringPhase({ ...common, backend: 'mongo', install, timeoutMs: opts.quick ? 120_000 : 400_000 }));
      if (opts.meteringBackends.includes('embedded')) {
        const embedded = { backend: 'embedded' as const, dir, overrides: { 'worker.prefetch': opts.prefetch }, cpuProfileDir: opts.cpuProfileDir, timeoutMs: opts.quick ? 180_000 : 600_000 };
        report.metering.push(await meteringPhase({ ...common, ...embedded }));
      }
    });
    await phase('campaigns', async () => {
      say(`CSV import: ${opts.importRows} rows through POST /v1/imports (embedded store)`);
      const imported = await importBench(dir, opts.importRows, say);
      say(`  ${Math.round(imported.rowsPerS)} rows/s (${imported.seconds.toFixed(1)} s), peak RSS ${imported.peakMb} MB`);
      say(`campaign run: ${opts.campaignMessages} recipients, POST .../run to the last SMS -> ${opts.mainSink}`);
      const run = await install({}, (ctx) => campaignRunBench(ctx, opts.campaignMessages, opts.mainSink, opts.quick ? 120_000 : 400_000));
      say(`  ${Math.round(run.deliveredPerS)} msg/s end to end, lost ${run.lost ?? '?'}, duplicated ${run.duplicated}`);
      report.campaigns = { import: imported, run };
    });
    report.durationS = (Date.now() - started) / 1000;
    report.failedPhases = failed;
    return report;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The embedded default: its bare pipeline, then the same fan-out and accept stream on `herald all`, each on a fresh data folder. */
async function embeddedPhases(opts: BenchOptions, dir: string, say: (s: string) => void): Promise<EmbeddedReport> {
  const overrides = { 'worker.prefetch': opts.prefetch };
  say(`embedded bare pipeline: ${opts.rawMessages} messages in jobs of ${opts.messagesPerDelivery} on the embedded queue, each POSTed to the http gateway, ${opts.prefetch} at once`);
  const bareDir = path.join(dir, 'embedded-bare');
  fs.mkdirSync(bareDir, { recursive: true });
  const bare = await bareEmbedded(bareDir, opts.rawMessages, opts.prefetch, opts.messagesPerDelivery);
  say(`  ${Math.round(bare.endToEndPerS)} msg/s end to end`);
  const out: EmbeddedReport = { bare };
  {
    const inst = await embeddedInstallation(dir, 'embedded-fanout', overrides, say, opts.cpuProfileDir);
    try {
      const seedStart = Date.now();
      await inst.seed('fanout', 'f', opts.subscribers, 0);
      say(`fan-out (embedded): 1 notification x ${opts.subscribers} subscribers (seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s) -> ${opts.mainSink}`);
      out.fanout = await fanout(inst.env, 'fanout', opts.subscribers, opts.mainSink, opts.quick ? 180_000 : Math.max(600_000, opts.subscribers * 6), 'embedded-fanout');
      const r = out.fanout;
      say(`  ${Math.round(r.deliveredPerS)} msg/s delivered, fan-out ${Math.round(r.fanoutPerS)} msg/s, lost ${r.lost ?? '?'}, duplicated ${r.duplicated}${r.completed ? '' : `, ${r.unfinished} unsent at the time limit`}`);
    } finally {
      await inst.close();
    }
  }
  {
    const inst = await embeddedInstallation(dir, 'embedded-stream', overrides, say, opts.cpuProfileDir);
    try {
      await inst.seed('stream', 's', opts.streamSubscribers, 90_000_000);
      say(`accept stream (embedded): ${opts.streamNotifications} notifications x ${opts.streamSubscribers} subscribers, concurrency ${opts.concurrency} -> ${opts.mainSink}`);
      out.stream = await stream(inst.env, 'stream', opts.streamSubscribers, opts.streamNotifications, opts.concurrency, opts.mainSink, 150_000, 'embedded-stream');
      say(`  ${Math.round(out.stream.herald.perS)} accepted/s (bare express ${Math.round(out.stream.bare.perS)}/s), p99 ${out.stream.herald.p99Ms.toFixed(1)} ms`);
    } finally {
      await inst.close();
    }
  }
  return out;
}

export async function main(argv: string[]): Promise<void> {
  const say = (s: string) => process.stdout.write(`${s}\n`);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  try {
    const opts = parseArgs(argv);
    const report = await runBench(opts, say);
    say('');
    say(renderTable(report));
    if (opts.write) {
      const file = path.resolve(__dirname, '..', 'docs', 'benchmarks.md');
      fs.writeFileSync(file, renderReport(report));
      say(`\nwritten to ${path.relative(process.cwd(), file)}`);
    }
    // Lost or duplicated messages are never a figure to read past: the run fails.
    const failures = deliveryFailures(report);
    if (failures.length) {
      process.stderr.write(`\nbench FAILED: messages lost or duplicated, or a phase failed\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
      process.exit(1);
    }
    process.exit(0);
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  }
}
