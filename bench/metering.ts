// Metering's cost: the same fan-out on fresh installations, the default workspace unmetered and
// metered (a reservation per message at fan-out, a charge at hand-over), on MongoDB + RabbitMQ
// and on the embedded default. The two sides alternate `rounds` times in ABBA order (off on, on
// off, ...) so a drift of the shared machine weighs on both alike; the median run of each side
// counts, and the fastest of each is shown beside it.
import path from 'node:path';
import Database from 'better-sqlite3';
import { pairEnv, type BenchContext, type PhaseEnv } from './context';
import { servicePids } from './cpu';
import { embeddedInstallation } from './embedded';
import { fanout, type FanoutResult } from './fanout';
import type { SinkKind } from './sinks';

export type MeteringBackend = 'mongo' | 'embedded';

export interface MeteringResult {
  backend: MeteringBackend;
  subscribers: number;
  sink: SinkKind;
  rounds: number;
  /** Every run of each side, in the order they ran. */
  offRuns: FanoutResult[];
  onRuns: FanoutResult[];
  /** The median run of each side (by end-to-end time). */
  off: FanoutResult;
  on: FanoutResult;
  /** Extra end-to-end time of the metered side, in % of the unmetered one: medians, and fastest of each. */
  costPct: number;
  fastestCostPct: number;
  /** Extra CPU of Herald's own processes per message sent, in %: median of each side. */
  cpuCostPct: number;
  /** Extra CPU of Herald + the Mongo server + the broker per message sent, in %: median of each side. */
  machineCpuCostPct: number;
  /** Median Mongo server CPU per message of each side, in µs (MongoDB only): the store's share of metering. */
  storeCpuUs?: { off: number; on: number };
  /** Credits the median metered run took (0.1 per one-segment SMS sent). */
  charged: number;
}

type Installation = <T>(overrides: Record<string, unknown>, fn: (ctx: BenchContext) => Promise<T>) => Promise<T>;

/** A balance no run can spend: metering counts every message but refuses none. */
const AMPLE_CREDITS = 1_000_000;
const HERALD_PROCESSES = ['server', 'worker', 'herald'];

/** CPU seconds of Herald's processes (server + SMS worker, or `herald all`) per message sent; the shared broker and database are left out. */
export const heraldCpuPerMessage = (f: FanoutResult): number => HERALD_PROCESSES.reduce((a, k) => a + (f.cpu[k] ?? 0), 0) / Math.max(1, f.sent);
const mongoCpuPerMessage = (f: FanoutResult): number => (f.cpu.mongo ?? 0) / Math.max(1, f.sent);
/** Herald, the Mongo server and the broker per message: on a CPU-bound shared machine, what end-to-end time follows, with less noise. */
export const machineCpuPerMessage = (f: FanoutResult): number => (['broker', 'mongo', ...HERALD_PROCESSES].reduce((a, k) => a + (f.cpu[k] ?? 0), 0)) / Math.max(1, f.sent);

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
/** The run whose time is the median (the lower middle one of an even count). */
const medianRun = (runs: FanoutResult[]): FanoutResult => [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor((runs.length - 1) / 2)];
const pctOver = (on: number, off: number): number => ((on - off) / Math.max(1e-9, off)) * 100;

/** One fan-out on a fresh installation of `backend`, unmetered (null) or with `balance` credits; resolves it and the credits it took. */
type OneRun = (balance: number | null) => Promise<{ r: FanoutResult; charged: number }>;

function mongoRun(install: Installation, subscribers: number, sink: SinkKind, timeoutMs: number): OneRun {
  return (balance) =>
    install({ 'credits.defaultBalance': balance }, async (ctx) => {
      await ctx.db.createProgram('metering');
      await ctx.db.subscribe('metering', 'm', subscribers, 0);
      // Its own tag per side: the CPU profiles (--cpu-prof) of the two sides do not overwrite each other.
      const r = await fanout(pairEnv(ctx, servicePids), 'metering', subscribers, sink, timeoutMs, balance === null ? 'metering-off' : 'metering-on');
      const account = await ctx.db.store.credits.get('default');
      return { r, charged: balance === null || !account?.balance ? 0 : balance - account.balance / 1000 };
    });
}

function embeddedRun(dir: string, overrides: Record<string, unknown>, subscribers: number, sink: SinkKind, timeoutMs: number, say: (s: string) => void, cpuProfileDir?: string): OneRun {
  let n = 0;
  return async (balance) => {
    const name = `embedded-metering-${n++}`;
    const inst = await embeddedInstallation(dir, name, { ...overrides, 'credits.defaultBalance': balance }, say, cpuProfileDir);
    try {
      await inst.seed('metering', 'm', subscribers, 0);
      const env: PhaseEnv = inst.env;
      const r = await fanout(env, 'metering', subscribers, sink, timeoutMs, balance === null ? 'embedded-metering-off' : 'embedded-metering-on');
      // The account as Herald left it, read from its data folder.
      const db = new Database(path.join(dir, name, 'data', 'herald.db'), { readonly: true });
      let row: { balance: number | null } | undefined;
      try {
        row = db.prepare(`SELECT "balance" FROM credit_accounts WHERE "workspaceId" = 'default'`).get() as typeof row;
      } finally {
        db.close();
      }
      return { r, charged: balance === null || !row?.balance ? 0 : balance - row.balance / 1000 };
    } finally {
      await inst.close();
    }
  };
}

export interface MeteringPhaseOptions {
  backend: MeteringBackend;
  subscribers: number;
  sink: SinkKind;
  timeoutMs: number;
  rounds: number;
  say: (s: string) => void;
  /** MongoDB + RabbitMQ: a fresh installation per run. */
  install?: Installation;
  /** Embedded: the bench's temp folder, Herald's settings, the profile folder. */
  dir?: string;
  overrides?: Record<string, unknown>;
  cpuProfileDir?: string;
}

export async function meteringPhase(o: MeteringPhaseOptions): Promise<MeteringResult> {
  const { backend, subscribers, sink, rounds, say } = o;
  const one: OneRun =
    backend === 'mongo' ? mongoRun(o.install!, subscribers, sink, o.timeoutMs) : embeddedRun(o.dir!, o.overrides ?? {}, subscribers, sink, o.timeoutMs, say, o.cpuProfileDir);
  const label = backend === 'mongo' ? 'MongoDB + RabbitMQ' : 'embedded';
  say(`metering (${label}): fan-out 1 notification x ${subscribers} -> ${sink}, unmetered and metered (default workspace ${AMPLE_CREDITS} credits), ${rounds} round(s) in ABBA order`);
  const offs: FanoutResult[] = [];
  const ons: Array<{ r: FanoutResult; charged: number }> = [];
  const run = async (metered: boolean) => {
    const x = await one(metered ? AMPLE_CREDITS : null);
    (metered ? ons.push(x) : offs.push(x.r));
    const store = x.r.cpu.mongo !== undefined ? `, Mongo ${(mongoCpuPerMessage(x.r) * 1e6).toFixed(0)} µs` : '';
    // Each Herald process's share too (server + SMS worker on MongoDB): where metering's CPU goes.
    const split = HERALD_PROCESSES.filter((k) => x.r.cpu[k] !== undefined).map((k) => `${k} ${(((x.r.cpu[k] ?? 0) / Math.max(1, x.r.sent)) * 1e6).toFixed(0)}`);
    say(`  ${metered ? 'metered:  ' : 'unmetered:'} ${Math.round(x.r.deliveredPerS)} msg/s delivered (${x.r.seconds.toFixed(2)} s), fan-out ${Math.round(x.r.fanoutPerS)} msg/s, Herald CPU ${(heraldCpuPerMessage(x.r) * 1e6).toFixed(0)} µs${split.length > 1 ? ` (${split.join(' + ')})` : ''}${store} a message`);
  };
  for (let i = 0; i < rounds; i++) {
    const meteredFirst = i % 2 === 1;
    await run(meteredFirst);
    await run(!meteredFirst);
  }
  const onRuns = ons.map((x) => x.r);
  const off = medianRun(offs);
  const on = medianRun(onRuns);
  const costPct = pctOver(median(onRuns.map((r) => r.seconds)), median(offs.map((r) => r.seconds)));
  const fastestCostPct = pctOver(Math.min(...onRuns.map((r) => r.seconds)), Math.min(...offs.map((r) => r.seconds)));
  const cpuCostPct = pctOver(median(onRuns.map(heraldCpuPerMessage)), median(offs.map(heraldCpuPerMessage)));
  const machineCpuCostPct = pctOver(median(onRuns.map(machineCpuPerMessage)), median(offs.map(machineCpuPerMessage)));
  const storeCpuUs = backend === 'mongo' ? { off: median(offs.map(mongoCpuPerMessage)) * 1e6, on: median(onRuns.map(mongoCpuPerMessage)) * 1e6 } : undefined;
  say(
    `  metering cost (${label}): ${costPct.toFixed(1)} % end to end (median; fastest ${fastestCostPct.toFixed(1)} %), ${cpuCostPct.toFixed(1)} % Herald CPU a message (median)` +
      (storeCpuUs ? `, Mongo CPU ${storeCpuUs.off.toFixed(0)} -> ${storeCpuUs.on.toFixed(0)} µs a message, all CPU ${machineCpuCostPct.toFixed(1)} %` : ''),
  );
  const charged = ons.find((x) => x.r === on)?.charged ?? 0;
  return { backend, subscribers, sink, rounds, offRuns: offs, onRuns, off, on, costPct, fastestCostPct, cpuCostPct, machineCpuCostPct, storeCpuUs, charged: Math.round(charged * 1000) / 1000 };
}
