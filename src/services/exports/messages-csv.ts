// Messages as CSV, a row each, streamed from the store's keyset walk: the writer pulls rows only
// as fast as the client reads, so a million rows take the memory of a few batches.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { REFUNDED_STATUSES, toCredits } from '../../domain/credits';
import type { Message, MessageStatus } from '../../domain/types';

const REFUNDED: ReadonlySet<MessageStatus> = new Set(REFUNDED_STATUSES);

/** What the message costs the workspace: its reservation, or 0 once given back; empty when unmetered or free. */
function creditsOf(m: Message): number | '' {
  if (!m.cost) return '';
  return REFUNDED.has(m.status) ? 0 : toCredits(m.cost);
}

export const MESSAGE_CSV_COLUMNS = [
  'id', 'notificationId', 'programId', 'userId', 'recipient', 'channel', 'provider', 'status', 'segments', 'credits',
  'attempts', 'createdAt', 'sentAt', 'deliveredAt', 'updatedAt', 'errorCode', 'errorMessage',
] as const;

const iso = (d: Date | undefined): string => (d ? new Date(d).toISOString() : '');

/** One row. */
function row(m: Message): Record<(typeof MESSAGE_CSV_COLUMNS)[number], string | number> {
  return {
    id: m.id, notificationId: m.notificationId, programId: m.programId, userId: m.userId, recipient: m.to, channel: m.channel,
    provider: m.provider ?? '', status: m.status, segments: m.channel === 'sms' ? (m.sms?.segments ?? 1) : '', credits: creditsOf(m),
    attempts: m.attempts, createdAt: iso(m.createdAt), sentAt: iso(m.sentAt), deliveredAt: iso(m.deliveredAt), updatedAt: iso(m.updatedAt),
    errorCode: m.error?.code ?? '', errorMessage: m.error?.message ?? '',
  };
}

async function* rows(messages: AsyncIterable<Message>) {
  for await (const m of messages) yield row(m);
}

/** A CSV stream (header first) of the messages; destroying it stops the walk. */
export function messagesCsv(messages: AsyncIterable<Message>): Readable {
  const out = stringify({ header: true, columns: [...MESSAGE_CSV_COLUMNS] });
  // pipeline destroys the walk when `out` is destroyed (client gone), and `out` when the walk fails.
  pipeline(Readable.from(rows(messages)), out).catch(() => undefined);
  return out;
}
