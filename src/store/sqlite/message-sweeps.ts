// The two indexes of messages that only the sweeps read, partial: the relay's (messages left
// `accepted`, by last update) and the expiry sweep's (messages not yet with a worker, by validity).
// A full (status, updatedAt) and (status, validUntil) index had an entry rewritten at every status
// change of every message (claim and record, ~3 µs a message sent); these hold only the messages a
// sweep can look for, so a message going queued -> sending -> sent leaves them at the claim.
import type { MessageStatus } from '../../domain/types';

/** Statuses the relay's sweep looks for (scheduler.ts: findStale(['accepted'])). */
const STALE: readonly MessageStatus[] = ['accepted'];
/** Statuses the expiry sweep looks at (scheduler.ts: EXPIRABLE). */
const EXPIRABLE: readonly MessageStatus[] = ['accepted', 'scheduled', 'queued'];

/** An index's condition: ORs of equalities (an IN list costs a temporary table at every write). */
const whereOf = (statuses: readonly MessageStatus[]): string => statuses.map((s) => `"status" = '${s}'`).join(' OR ');

/** Run with the schema: existing files lose the full indexes and get the partial ones (built once). */
export const MESSAGE_SWEEPS_DDL = `
DROP INDEX IF EXISTS messages_status_updated;
DROP INDEX IF EXISTS messages_status_valid;
CREATE INDEX IF NOT EXISTS messages_stale ON messages ("updatedAt", "id") WHERE ${whereOf(STALE)};
CREATE INDEX IF NOT EXISTS messages_expirable ON messages ("validUntil", "id") WHERE ${whereOf(EXPIRABLE)};
`;

/**
 * The status condition of a sweep's query (parameter `@statuses`, a JSON array). Statuses all among
 * the index's also name its own condition, word for word: SQLite uses a partial index only then.
 * Others (no sweep asks for them) are found without it.
 */
export function sweepStatuses(sweep: 'stale' | 'expirable', statuses: readonly MessageStatus[]): string {
  const indexed = sweep === 'stale' ? STALE : EXPIRABLE;
  const all = '"status" IN (SELECT value FROM json_each(@statuses))';
  return statuses.every((s) => indexed.includes(s)) ? `(${whereOf(indexed)}) AND ${all}` : all;
}
