// Parsing of the times Herald accepts: the original system's MM/DD/YYYY HH:mm and ISO 8601.
import { DateTime } from 'luxon';

const LEGACY_TIME = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/;

/**
 * Parses the original system's `MM/DD/YYYY HH:mm` (24h, zero-padded) as a wall time in `zone`
 * (an IANA zone such as `Africa/Nairobi`). Null when the text is not exactly that shape, names
 * a date or time that does not exist (13/40/2019, 02/29/2019, 24:00), or the zone is unknown.
 * A wall time skipped by a daylight-saving jump is moved forward by the gap, as luxon does.
 */
export function parseLegacyTime(s: string, zone: string): Date | null {
  const m = LEGACY_TIME.exec(s.trim());
  if (!m) return null;
  const [month, day, year, hour, minute] = m.slice(1).map(Number);
  // luxon reads 24:00 as the next midnight; the original system's clock stops at 23:59.
  if (hour > 23) return null;
  const dt = DateTime.fromObject({ year, month, day, hour, minute }, { zone });
  return dt.isValid ? dt.toJSDate() : null;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * Parses an ISO 8601 date-time such as `2019-08-27T21:04:00Z` or `2019-08-27T21:04+03:00`.
 * A date-time without an offset is read as UTC (documented behaviour, so `2019-08-27T21:04`
 * means 21:04Z). A date without a time, or a date that does not exist, gives null.
 */
export function parseIsoTime(s: string): Date | null {
  // The shape toISOString() writes (what most clients send), read without luxon: exact when it round-trips.
  if (s.length === 24 && s.endsWith('Z')) {
    const t = Date.parse(s);
    if (!Number.isNaN(t) && new Date(t).toISOString() === s) return new Date(t);
  }
  const text = s.trim();
  if (!ISO_DATE_TIME.test(text)) return null;
  const dt = DateTime.fromISO(text.replace(' ', 'T'), { zone: 'utc' });
  return dt.isValid ? dt.toJSDate() : null;
}

/** True for a Date that holds a real instant (not `new Date('nonsense')`). */
export function isValidDate(d: unknown): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}
