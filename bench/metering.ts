// Metering's cost: the same fan-out on fresh installations, the default workspace unmetered and
// metered (a reservation per message at fan-out, a charge at hand-over), alternated `rounds`
// times; the fastest run of each side counts (the least disturbed by whatever else runs).
import { pairEnv, type BenchContext } from './context';
import { servicePids } from './cpu';
import { fanout, type FanoutResult } from './fanout';
import type { SinkKind } from './sinks';

export interface MeteringResult {
  subscribers: number;
  sink: SinkKind;
  rounds: number;
  off: FanoutResult;
  on: FanoutResult;
  /** Extra end-to-end time of the metered run, in % of the unmetered one. */
  costPct: number;
  /** Extra CPU of Herald's own processes (server + SMS worker) per message sent, in %. */
  cpuCostPct: number;
  /** Credits the metered run took (0.1 per one-segment SMS sent). */
  charged: number;
}

type Installation = <T>(overrides: Record<string, unknown>, fn: (ctx: BenchContext) => Promise<T>) => Promise<T>;

/** A balance no run can spend: metering counts every message but refuses none. */
const AMPLE_CREDITS = 1_000_000;

/** CPU seconds of the server and the worker per message sent (the shared broker and database are left out). */
export const heraldCpuPerMessage = (f: FanoutResult): number => ((f.cpu.server ?? 0) + (f.cpu.worker ?? 0)) / Math.max(1, f.sent);

export async function meteringPhase(install: Installation, subscribers: number, sink: SinkKind, timeoutMs: number, rounds: number, say: (s: string) => void): Promise<MeteringResult> {
  const run = (balance: number | null) =>
    install({ 'credits.defaultBalance': balance }, async (ctx) => {
      await ctx.db.createProgram('metering');
      await ctx.db.subscribe('metering', 'm', subscribers, 0);
      const r = await fanout(pairEnv(ctx, servicePids), 'metering', subscribers, sink, timeoutMs);
      const account = await ctx.db.store.credits.get('default');
      say(`  ${balance === null ? 'unmetered' : 'metered'}: ${Math.round(r.deliveredPerS)} msg/s delivered (${r.seconds.toFixed(1)} s), ${(heraldCpuPerMessage(r) * 1e6).toFixed(0)} µs Herald CPU a message`);
      return { r, charged: balance === null || !account?.balance ? 0 : balance - account.balance / 1000 };
    });
  say(`metering: fan-out 1 notification x ${subscribers} -> ${sink}, unmetered and metered (default workspace ${AMPLE_CREDITS} credits), ${rounds} round(s)`);
  const offs: FanoutResult[] = [];
  const ons: Array<{ r: FanoutResult; charged: number }> = [];
  for (let i = 0; i < rounds; i++) {
    offs.push((await run(null)).r);
    ons.push(await run(AMPLE_CREDITS));
  }
  const off = offs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const on = ons.reduce((a, b) => (b.r.seconds < a.r.seconds ? b : a));
  const costPct = ((on.r.seconds - off.seconds) / Math.max(0.001, off.seconds)) * 100;
  const cpuCostPct = ((heraldCpuPerMessage(on.r) - heraldCpuPerMessage(off)) / Math.max(1e-9, heraldCpuPerMessage(off))) * 100;
  say(`  metering cost: ${costPct.toFixed(1)} % end to end, ${cpuCostPct.toFixed(1)} % Herald CPU a message`);
  return { subscribers, sink, rounds, off, on: on.r, costPct, cpuCostPct, charged: Math.round(on.charged * 1000) / 1000 };
}
