// Usage rollups: what one counter row holds and how a message's status maps onto its columns.
// The workspace, program and campaign figures are counter rows kept as statuses change; a
// recipient's are counted from its messages when asked (usageHoursOf, same rules).
import { REFUNDED_STATUSES } from './credits';
import type { Channel, Message, MessageStatus } from './types';

/**
 * Status columns. The four statuses before a provider has the message (accepted, scheduled,
 * queued, sending) share `pending`: retries and claims move between them many times a message,
 * and counting them apart would triple the counter writes for no question an operator asks.
 */
export const USAGE_STATUS_COLUMNS = ['pending', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected'] as const;
export type UsageStatusColumn = (typeof USAGE_STATUS_COLUMNS)[number];

export const USAGE_COLUMNS = [...USAGE_STATUS_COLUMNS, 'segments', 'creditsCharged', 'creditsRefunded'] as const;
export type UsageColumn = (typeof USAGE_COLUMNS)[number];
export type UsageCounters = Record<UsageColumn, number>;

/** What usage is asked about: the workspace as a whole, a program, a recipient, a campaign. */
export const USAGE_DIMENSIONS = ['workspace', 'program', 'user', 'campaign'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];
/**
 * Dimensions kept as counter rows (per message: the workspace, its program, its campaign when it has one).
 * Not the recipient: its rows never merged with another's (three upserts of seven statements a message
 * sent on MongoDB); a recipient has few messages, so its figures are counted from them (usageHoursOf).
 */
export type StoredUsageDimension = Exclude<UsageDimension, 'user'>;

/** Provider key of the rows a message counts in while no provider has it (pending, or ended before one took it). */
export const NO_PROVIDER = '';

/** One counter row's identity: workspace x hour x dimension value, split by channel and provider for the filters. */
export interface UsageKey {
  workspaceId: string;
  /** Start of the UTC hour. */
  hour: Date;
  dimension: StoredUsageDimension;
  /** The program or campaign id; '*' for the workspace dimension. */
  key: string;
  channel: Channel;
  provider: string;
}

export interface UsageDelta extends UsageKey {
  counts: Partial<UsageCounters>;
}

export interface UsageHour {
  hour: Date;
  counts: UsageCounters;
}

const PENDING: ReadonlySet<MessageStatus> = new Set(['accepted', 'scheduled', 'queued', 'sending']);

export function usageColumnOf(status: MessageStatus): UsageStatusColumn {
  return PENDING.has(status) ? 'pending' : (status as UsageStatusColumn);
}

export function zeroCounters(): UsageCounters {
  return Object.fromEntries(USAGE_COLUMNS.map((c) => [c, 0])) as UsageCounters;
}

/** Fields later work adds to messages (tenancy: workspaceId; campaigns: campaignId): read when present. */
export type UsageMessage = Message & { workspaceId?: string; campaignId?: string };

/** The hour a message counts in: when it was accepted (its first status), which never changes. */
export function usageHourOf(m: Pick<Message, 'statusHistory'> & { createdAt?: Date }): Date {
  const at = m.statusHistory[0]?.at ?? m.createdAt ?? new Date();
  const ms = new Date(at).getTime();
  return new Date(ms - (((ms % 3_600_000) + 3_600_000) % 3_600_000));
}

/** The keys (one per stored dimension) a message counts under while in `status`. */
export function usageKeysOf(m: UsageMessage, status: MessageStatus): UsageKey[] {
  const workspaceId = m.workspaceId ?? 'default';
  const hour = usageHourOf(m);
  const channel = m.channel;
  const provider = usageColumnOf(status) === 'pending' ? NO_PROVIDER : (m.provider ?? NO_PROVIDER);
  // Literals of one shape rather than spreads of a base (two of these per message sent).
  const keys: UsageKey[] = [{ workspaceId, hour, channel, provider, dimension: 'workspace', key: '*' }];
  // A campaign's message has no program (programId ''): it counts under its campaign instead.
  if (m.programId) keys.push({ workspaceId, hour, channel, provider, dimension: 'program', key: m.programId });
  if (m.campaignId) keys.push({ workspaceId, hour, channel, provider, dimension: 'campaign', key: m.campaignId });
  return keys;
}

/** SMS segments handed to a provider; an email counts none. */
export function usageSegmentsOf(m: Pick<Message, 'channel'> & { sms?: { segments?: number } }): number {
  return m.channel === 'sms' ? (m.sms?.segments ?? 1) : 0;
}

/**
 * The fields of a message its usage is counted from (a store reads only these). `count`: how many
 * messages alike (same hour, channel, status, provider, hand-over, segments, cost) these facts stand
 * for, 1 when absent: a store may group a recipient's messages and hand over one fact per group.
 */
export type UsageFacts = Pick<Message, 'channel' | 'status' | 'statusHistory' | 'provider' | 'sentAt' | 'cost'> & {
  sms?: { segments?: number };
  createdAt?: Date;
  count?: number;
};

/**
 * A message is stored moments after it is accepted (its hour comes from the acceptance; a store
 * selects by createdAt): a store reads messages created this long before and after the hours asked.
 */
export const USAGE_CREATED_SLACK_MS = 3_600_000;

const REFUNDED: ReadonlySet<MessageStatus> = new Set(REFUNDED_STATUSES);

/**
 * The hourly rows of some messages, as the counters would hold them (services/usage/deltas.ts): each
 * counts in the hour it was accepted, in the column of its current status, under its provider once it
 * has left pending; with its segments once handed over (sentAt). Its cost counts as charged, and as
 * refunded once it ended unsent, under no provider (like the ledger's reservation). Hours of [from, to)
 * that some message counts in under the filters, oldest first.
 */
export function usageHoursOf(messages: Iterable<UsageFacts>, q: UsageHoursQuery): UsageHour[] {
  const counter = usageHoursCounter(q);
  for (const m of messages) counter.add(m);
  return counter.hours();
}

export interface UsageHoursQuery {
  from: Date;
  to: Date;
  channel?: Channel;
  provider?: string;
}

/**
 * usageHoursOf fed one message (or group of alike messages) at a time: a store streams a recipient's
 * messages through it and holds only the hours, never the messages.
 */
export function usageHoursCounter(q: UsageHoursQuery): { add(m: UsageFacts): void; hours(): UsageHour[] } {
  const from = q.from.getTime();
  const to = q.to.getTime();
  const creditsShown = q.provider === undefined || q.provider === NO_PROVIDER;
  const byHour = new Map<number, UsageCounters>();
  const row = (hour: number): UsageCounters => {
    let counts = byHour.get(hour);
    if (!counts) byHour.set(hour, (counts = zeroCounters()));
    return counts;
  };
  return {
    add(m) {
      if (q.channel !== undefined && m.channel !== q.channel) return;
      const hour = usageHourOf(m).getTime();
      if (hour < from || hour >= to) return;
      const n = m.count ?? 1;
      const column = usageColumnOf(m.status);
      const provider = column === 'pending' ? NO_PROVIDER : (m.provider ?? NO_PROVIDER);
      if (q.provider === undefined || q.provider === provider) {
        const counts = row(hour);
        counts[column] += n;
        if (column !== 'pending' && m.sentAt) counts.segments += n * usageSegmentsOf(m);
      }
      const cost = m.cost ?? 0;
      if (cost > 0 && creditsShown) {
        const counts = row(hour);
        counts.creditsCharged += n * cost;
        if (REFUNDED.has(m.status)) counts.creditsRefunded += n * cost;
      }
    },
    hours() {
      return [...byHour.entries()].sort(([a], [b]) => a - b).map(([hour, counts]) => ({ hour: new Date(hour), counts }));
    },
  };
}

/** Identity of a row as one string: deltas to the same row are merged before writing. */
export function usageRowId(k: UsageKey): string {
  // A template, not an array joined: several rows per message sent (same text).
  return `${k.workspaceId}|${k.hour.getTime()}|${k.dimension}|${k.key}|${k.channel}|${k.provider}`;
}

/** Merges deltas to the same row and drops the ones that change nothing: fewer writes, same sums. */
export function mergeUsageDeltas(deltas: UsageDelta[]): UsageDelta[] {
  const byRow = new Map<string, UsageDelta>();
  for (const d of deltas) {
    const id = usageRowId(d);
    const cur = byRow.get(id);
    if (!cur) {
      byRow.set(id, { ...d, counts: { ...d.counts } });
      continue;
    }
    for (const [c, n] of Object.entries(d.counts)) cur.counts[c as keyof typeof cur.counts] = (cur.counts[c as keyof typeof cur.counts] ?? 0) + (n ?? 0);
  }
  return [...byRow.values()].filter((d) => Object.values(d.counts).some((n) => n !== 0));
}
