// A recipient's figures, counted from its messages (usageHoursOf), equal what the counter rows gave
// (services/usage/deltas.ts, summed over every change a message went through), for many lives of
// messages, under every filter a caller can ask for.
import type { Channel, MessageStatus } from '../../src/domain/types';
import { usageHoursOf, type UsageCounters, type UsageMessage } from '../../src/domain/usage';
import { usageDeltas } from '../../src/services/usage/deltas';
import type { MessageChange } from '../../src/services/usage/observe-messages';

const HOUR = 3_600_000;
const T0 = Date.UTC(2030, 0, 1, 10);

/** A small deterministic generator (the same lives at every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One message's life as the workers write it: inserted, then moved forward, each change as observeMessages reports it. */
function life(i: number, r: () => number): MessageChange[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const channel: Channel = r() < 0.7 ? 'sms' : 'email';
  const at = new Date(T0 + Math.floor(r() * 5 * HOUR));
  const rejected = r() < 0.1;
  const cost = !rejected && r() < 0.6 ? 100 * (1 + Math.floor(r() * 4)) : undefined;
  const status: MessageStatus = rejected ? 'rejected' : pick(['accepted', 'queued'] as const);
  let m: UsageMessage = {
    id: `m${i}`, workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel, to: 'x',
    content: { text: 'hi' }, sms: channel === 'sms' ? { encoding: 'GSM-7', segments: 1 + Math.floor(r() * 3), parts: ['hi'] } : undefined,
    status, statusHistory: [{ status, at }], validUntil: new Date(T0 + 48 * HOUR), attempts: 0, createdAt: at, updatedAt: at,
    ...(cost ? { cost } : {}),
  };
  const changes: MessageChange[] = [{ before: undefined, message: m }];
  const move = (to: MessageStatus, patch: Partial<UsageMessage> = {}) => {
    const before = m.status;
    m = { ...m, ...patch, status: to, statusHistory: [...m.statusHistory, { status: to, at }] };
    changes.push({ before, message: m });
  };
  if (rejected) return changes;
  if (m.status === 'accepted') move('queued');
  const provider = pick(['twilio', 'vonage']);
  // Attempts: some come back to queued (a provider error), some end before a provider took it.
  for (let attempt = 0; attempt < 3; attempt++) {
    move('sending', { provider });
    const x = r();
    if (x < 0.25) move('queued');
    else if (x < 0.35) return (move(pick(['failed', 'expired', 'cancelled'] as const)), changes);
    else break;
  }
  if (m.status === 'queued') return (move(pick(['expired', 'cancelled'] as const)), changes);
  move('sent', { sentAt: at });
  const y = r();
  if (y < 0.3) move('delivered');
  else if (y < 0.4) move('undelivered');
  else if (y < 0.5) move('failed');
  return changes;
}

type Filter = { channel?: Channel; provider?: string };

/** What the counter rows of the recipient held, per hour, under the filter (the rows of one recipient: the workspace rows of its messages alone). */
function fromCounters(changes: MessageChange[], f: Filter, from: number, to: number): Map<number, UsageCounters> {
  const out = new Map<number, UsageCounters>();
  for (const c of changes) {
    for (const d of usageDeltas(c)) {
      if (d.dimension !== 'workspace') continue;
      if (f.channel !== undefined && d.channel !== f.channel) continue;
      if (f.provider !== undefined && d.provider !== f.provider) continue;
      const h = d.hour.getTime();
      if (h < from || h >= to) continue;
      const row = out.get(h) ?? ({} as UsageCounters);
      for (const [k, v] of Object.entries(d.counts)) row[k as keyof UsageCounters] = (row[k as keyof UsageCounters] ?? 0) + (v ?? 0);
      out.set(h, row);
    }
  }
  return out;
}

const nonZero = (rows: Map<number, Partial<UsageCounters>>) =>
  [...rows.entries()]
    .map(([h, c]) => [new Date(h).toISOString(), Object.fromEntries(Object.entries(c).filter(([, v]) => v !== 0))] as const)
    .filter(([, c]) => Object.keys(c).length > 0)
    .sort(([a], [b]) => a.localeCompare(b));

describe("a recipient's usage counted from its messages", () => {
  const r = rng(7);
  const lives = Array.from({ length: 400 }, (_, i) => life(i, r));
  const changes = lives.flat();
  const messages = lives.map((l) => l[l.length - 1].message);
  const filters: Filter[] = [{}, { channel: 'sms' }, { channel: 'email' }, { provider: '' }, { provider: 'twilio' }, { provider: 'vonage' }, { channel: 'sms', provider: 'twilio' }, { channel: 'email', provider: '' }];
  const ranges: Array<[number, number]> = [[T0 - HOUR, T0 + 6 * HOUR], [T0 + HOUR, T0 + 3 * HOUR], [T0 + 30 * 60_000, T0 + 2 * HOUR + 30 * 60_000]];

  it.each(filters.flatMap((f) => ranges.map((rg) => [JSON.stringify(f), rg, f] as const)))('equals the counters with filter %s over %j', (_name, [from, to], f) => {
    const counted = usageHoursOf(messages, { from: new Date(from), to: new Date(to), ...f });
    expect(nonZero(new Map(counted.map((h) => [h.hour.getTime(), h.counts])))).toEqual(nonZero(fromCounters(changes, f, from, to)));
  });
});
