// Metering's cost: the same fan-out twice on fresh installations, the default workspace
// unmetered, then metered (a reservation per message at fan-out, a charge at hand-over).
import type { BenchContext } from './context';
import { fanout, type FanoutResult } from './fanout';
import type { SinkKind } from './sinks';

export interface MeteringResult {
  subscribers: number;
  sink: SinkKind;
  off: FanoutResult;
  on: FanoutResult;
  /** Extra end-to-end time of the metered run, in % of the unmetered one. */
  costPct: number;
  /** Credits the metered run took (0.1 per one-segment SMS sent). */
  charged: number;
}

type Installation = <T>(overrides: Record<string, unknown>, fn: (ctx: BenchContext) => Promise<T>) => Promise<T>;

/** A balance no run can spend: metering counts every message but refuses none. */
const AMPLE_CREDITS = 1_000_000;

export async function meteringPhase(install: Installation, subscribers: number, sink: SinkKind, timeoutMs: number, say: (s: string) => void): Promise<MeteringResult> {
  const run = (balance: number | null) =>
    install({ 'credits.defaultBalance': balance }, async (ctx) => {
      await ctx.db.createProgram('metering');
      await ctx.db.subscribe('metering', 'm', subscribers, 0);
      const r = await fanout(ctx, 'metering', subscribers, sink, timeoutMs);
      const account = await ctx.db.store.credits.get('default');
      return { r, charged: balance === null || !account?.balance ? 0 : balance - account.balance / 1000 };
    });
  say(`metering: fan-out 1 notification x ${subscribers} -> ${sink}, unmetered`);
  const off = await run(null);
  say(`  ${Math.round(off.r.deliveredPerS)} msg/s delivered (${off.r.seconds.toFixed(1)} s)`);
  say(`metering: the same fan-out, metered (default workspace ${AMPLE_CREDITS} credits)`);
  const on = await run(AMPLE_CREDITS);
  const costPct = ((on.r.seconds - off.r.seconds) / Math.max(0.001, off.r.seconds)) * 100;
  say(`  ${Math.round(on.r.deliveredPerS)} msg/s delivered (${on.r.seconds.toFixed(1)} s), ${on.charged} credits charged; metering cost ${costPct.toFixed(1)} %`);
  return { subscribers, sink, off: off.r, on: on.r, costPct, charged: Math.round(on.charged * 1000) / 1000 };
}
