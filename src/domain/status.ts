// The message status machine: statuses only move forward, final statuses never change.
import { MESSAGE_STATUSES, type MessageStatus } from './types';

export const FINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected'];
const FINAL = new Set<MessageStatus>(FINAL_STATUSES);

/** Not yet handed to a provider: what cancelling a notification and the expiry sweeper act on. */
export const NOT_HANDED_OVER: readonly MessageStatus[] = ['accepted', 'scheduled', 'queued'];
const NOT_HANDED = new Set<MessageStatus>(NOT_HANDED_OVER);

/** Progress of the non-terminal path; delivered and undelivered end it. */
const RANK: Record<MessageStatus, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 5,
  expired: 5,
  cancelled: 5,
  rejected: 5,
};

export function isFinal(s: MessageStatus): boolean {
  return FINAL.has(s);
}

/**
 * Whether a message in `from` may move to `to`. Forward along accepted/scheduled < queued <
 * sending < sent < delivered|undelivered (a delivery report may overtake our own `sent`);
 * sending -> queued hands a message back (shutdown, retry); failed and rejected from any
 * non-final status; cancelled only before the hand-over; expired from any non-final status but
 * `sending` (in flight: its outcome decides) - `sent` -> expired is a provider's report.
 */
export function canMoveTo(from: MessageStatus, to: MessageStatus): boolean {
  if (from === to || isFinal(from)) return false;
  switch (to) {
    case 'failed':
    case 'rejected':
      return true;
    case 'cancelled':
      return NOT_HANDED.has(from);
    case 'expired':
      return from !== 'sending';
    case 'queued':
      return from === 'sending' || RANK[from] < RANK.queued;
    default:
      return RANK[from] < RANK[to];
  }
}

const SOURCES = new Map<MessageStatus, MessageStatus[]>(
  MESSAGE_STATUSES.map((to) => [to, MESSAGE_STATUSES.filter((from) => canMoveTo(from, to))]),
);

/** Every status that may move to `to`: the `from` list of a store transition. */
export function sourcesFor(to: MessageStatus): MessageStatus[] {
  return [...(SOURCES.get(to) ?? [])];
}

export interface StatusSummary {
  total: number;
  final: number;
  pending: number;
}

export function summarize(counts: Partial<Record<MessageStatus, number>>): StatusSummary {
  let total = 0;
  let final = 0;
  for (const [status, n] of Object.entries(counts) as Array<[MessageStatus, number | undefined]>) {
    total += n ?? 0;
    if (isFinal(status)) final += n ?? 0;
  }
  return { total, final, pending: total - final };
}

/** Final statuses other than delivered, least advanced first, for a mix with no failure. */
const UNSUCCESSFUL_ORDER: MessageStatus[] = ['rejected', 'cancelled', 'expired'];

/**
 * The status of a message sent in several parts: while any part is pending, the least advanced
 * pending status; when all parts agree, theirs; when any part is undelivered or failed,
 * undelivered; otherwise the least advanced of the unsuccessful ones (rejected, cancelled, expired).
 */
export function aggregateParts(partStatuses: MessageStatus[]): MessageStatus {
  if (partStatuses.length === 0) throw new RangeError('aggregateParts needs at least one part status');
  const pending = partStatuses.filter((s) => !isFinal(s));
  if (pending.length > 0) return pending.reduce((least, s) => (RANK[s] < RANK[least] ? s : least));
  if (partStatuses.every((s) => s === partStatuses[0])) return partStatuses[0];
  if (partStatuses.some((s) => s === 'undelivered' || s === 'failed')) return 'undelivered';
  return UNSUCCESSFUL_ORDER.find((s) => partStatuses.includes(s)) ?? 'undelivered';
}
