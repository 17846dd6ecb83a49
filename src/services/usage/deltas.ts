// What one message change does to the usage counters: a message counts once, in the column of
// its current status, in the hour it was accepted; a change moves it from one column to another.
// Credits follow the ledger: what was reserved for a message counts as charged when it is stored,
// what is given back counts as refunded when it ends unsent. Both go to the rows without a provider
// (the reservation is made before one is chosen), so a provider filter shows no credits.
// A recipient's figures are not counter rows: domain/usage.ts usageHoursOf counts its messages by the same rules.
import { REFUNDED_STATUSES } from '../../domain/credits';
import { usageColumnOf, usageKeysOf, usageSegmentsOf, type UsageDelta, type UsageMessage } from '../../domain/usage';
import type { MessageStatus } from '../../domain/types';
import type { MessageChange } from './observe-messages';

const REFUNDED: ReadonlySet<MessageStatus> = new Set(REFUNDED_STATUSES);

/** Whether this change gives the message's reservation back (it enters an unsent final status). */
export function refundsCost(before: MessageStatus | undefined, m: Pick<UsageMessage, 'status' | 'cost'>): boolean {
  return (m.cost ?? 0) > 0 && before !== undefined && REFUNDED.has(m.status) && !REFUNDED.has(before);
}

export function usageDeltas(change: MessageChange): UsageDelta[] {
  const m = change.message as UsageMessage;
  const to = usageColumnOf(m.status);
  if (change.before === undefined) {
    const charged = (m.cost ?? 0) > 0 ? { creditsCharged: m.cost } : {};
    return usageKeysOf(m, m.status).map((k) => ({ ...k, counts: { [to]: 1, ...charged } }));
  }
  const refund: UsageDelta[] = refundsCost(change.before, m) ? usageKeysOf(m, 'accepted').map((k) => ({ ...k, counts: { creditsRefunded: m.cost } })) : [];
  const from = usageColumnOf(change.before);
  if (from === to) return refund;
  // Leaving `pending` happens once per message (statuses only move forward); with a hand-off it carries the segments.
  const handedOver = from === 'pending' && m.sentAt !== undefined;
  // The keys are made fresh for this change: each becomes its delta (no copy per row, two changes a message sent).
  const out = usageKeysOf(m, change.before) as UsageDelta[];
  for (const d of out) d.counts = { [from]: -1 };
  const now = usageKeysOf(m, m.status) as UsageDelta[];
  for (const d of now) {
    d.counts = handedOver ? { [to]: 1, segments: usageSegmentsOf(m) } : { [to]: 1 };
    out.push(d);
  }
  return refund.length > 0 ? out.concat(refund) : out;
}
