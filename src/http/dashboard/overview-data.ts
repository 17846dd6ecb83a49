// What the overview shows, read from the usage rollups (never the messages), the provider control
// state and this process's metrics: the page renders it, the live stream sends it again every few seconds.
import { toCredits } from '../../domain/credits';
import { USAGE_STATUS_COLUMNS, zeroCounters, type UsageCounters } from '../../domain/usage';
import { CHANNELS, type Channel } from '../../domain/types';
import type { Principal } from '../../services/tenancy/keys';
import type { DashboardDeps } from './deps';
import { may } from './session';

const HOUR = 3_600_000;
/** Statuses a message ends in; the delivery rate is the share of them that reached the provider (sent or delivered). */
const FINAL = ['sent', 'delivered', 'undelivered', 'failed', 'expired', 'rejected'] as const;

export interface ProviderHealth {
  id: string;
  type: string;
  channel: Channel;
  state: string;
  order: number;
  weight: number;
  ratePerSecond: number | null;
  sent: number;
  failed: number;
  /** failed / (sent + failed), percent; null before any attempt. */
  errorRate: number | null;
  /** Average call time in this process; null when it made none. */
  latencyMs: number | null;
  circuitOpenUntil?: string;
}

export interface OverviewData {
  day: string;
  today: Record<Channel, UsageCounters>;
  totals: { messages: number; delivered: number; final: number; deliveryRate: number | null };
  /** Hour starts (epoch s) and messages per minute in each of the last 24 hours. */
  perMinute: { hours: number[]; values: number[] };
  balance: { value: number | null; currencyName: string } | null;
  providers: ProviderHealth[] | null;
  /** Installation-wide, like the providers: admins only (null otherwise, or when the bus does not answer). */
  queues: Record<string, number> | null;
}

const NO_LATENCY: Record<string, { calls: number; avgMs: number }> = {};

const statusTotal = (c: UsageCounters): number => USAGE_STATUS_COLUMNS.reduce((n, k) => n + c[k], 0);

function sumHours(rows: Array<{ counts: UsageCounters }>): UsageCounters {
  const out = zeroCounters();
  for (const r of rows) for (const k of Object.keys(out) as Array<keyof UsageCounters>) out[k] += r.counts[k];
  return out;
}

export async function overviewData(deps: DashboardDeps, principal: Principal, now = new Date()): Promise<OverviewData> {
  const ws = principal.workspaceId;
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const hourStart = Math.floor(now.getTime() / HOUR) * HOUR;
  const to = new Date(hourStart + HOUR);
  const from24 = new Date(hourStart - 23 * HOUR);
  const q = { workspaceId: ws, dimension: 'workspace' as const, key: '*', to };
  const admin = may(principal, 'admin');
  const [perChannel, last24, account, providers, latency, queues] = await Promise.all([
    Promise.all(CHANNELS.map((channel) => deps.store.usage.hourly({ ...q, from: dayStart, channel }))),
    deps.store.usage.hourly({ ...q, from: from24 }),
    deps.store.credits.get(ws),
    admin ? deps.providers.list() : Promise.resolve(null),
    admin && deps.providerLatency ? deps.providerLatency().catch(() => NO_LATENCY) : Promise.resolve(NO_LATENCY),
    admin && deps.queueDepth ? deps.queueDepth().catch(() => null) : Promise.resolve(null),
  ]);
  const today = Object.fromEntries(CHANNELS.map((c, i) => [c, sumHours(perChannel[i])])) as Record<Channel, UsageCounters>;
  const all = sumHours(perChannel.flat());
  const final = FINAL.reduce((n, k) => n + all[k], 0);
  const delivered = all.sent + all.delivered;
  const byHour = new Map(last24.map((h) => [h.hour.getTime(), statusTotal(h.counts)]));
  const hours = Array.from({ length: 24 }, (_, i) => from24.getTime() + i * HOUR);
  // The current hour is averaged over the minutes gone, not the whole hour.
  const minutesIn = (t: number) => (t === hourStart ? Math.max(1, (now.getTime() - hourStart) / 60_000) : 60);
  return {
    day: dayStart.toISOString().slice(0, 10),
    today,
    totals: { messages: statusTotal(all), delivered, final, deliveryRate: final > 0 ? (100 * delivered) / final : null },
    perMinute: { hours: hours.map((t) => t / 1000), values: hours.map((t) => Math.round(((byHour.get(t) ?? 0) / minutesIn(t)) * 100) / 100) },
    balance: account ? { value: account.balance === null ? null : toCredits(account.balance), currencyName: deps.config.credits.currencyName } : null,
    providers: providers
      ? providers.map((p) => ({
          id: p.id, type: p.type, channel: p.channel, state: p.state, order: p.order, weight: p.weight, ratePerSecond: p.ratePerSecond,
          sent: p.sent, failed: p.failed,
          errorRate: p.sent + p.failed > 0 ? Math.round((1000 * p.failed) / (p.sent + p.failed)) / 10 : null,
          latencyMs: latency[p.id]?.calls ? Math.round(latency[p.id].avgMs * 10) / 10 : null,
          ...(p.circuitOpenUntil ? { circuitOpenUntil: p.circuitOpenUntil.toISOString() } : {}),
        }))
      : null,
    queues,
  };
}
