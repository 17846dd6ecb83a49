// What one message change does to the usage counters: a message counts once, in the column of
// its current status, in the hour it was accepted; a change moves it from one column to another.
import { usageColumnOf, usageKeysOf, type UsageDelta, type UsageMessage } from '../../domain/usage';
import type { MessageChange } from './observe-messages';

/** SMS segments handed to a provider; an email counts none. */
function segmentsOf(m: UsageMessage): number {
  return m.channel === 'sms' ? (m.sms?.segments ?? 1) : 0;
}

export function usageDeltas(change: MessageChange): UsageDelta[] {
  const m = change.message as UsageMessage;
  const to = usageColumnOf(m.status);
  if (change.before === undefined) return usageKeysOf(m, m.status).map((k) => ({ ...k, counts: { [to]: 1 } }));
  const from = usageColumnOf(change.before);
  if (from === to) return [];
  // Leaving `pending` happens once per message (statuses only move forward); with a hand-off it carries the segments.
  const handedOver = from === 'pending' && m.sentAt !== undefined;
  const out: UsageDelta[] = usageKeysOf(m, change.before).map((k) => ({ ...k, counts: { [from]: -1 } }));
  for (const k of usageKeysOf(m, m.status)) out.push({ ...k, counts: { [to]: 1, ...(handedOver ? { segments: segmentsOf(m) } : {}) } });
  return out;
}
