// Bucket boundaries of a usage report: they follow the zone's calendar (a DST day has 23 or 25
// hours, a month ends when the zone's month ends), computed from `start` by whole steps.
import { DateTime, IANAZone } from 'luxon';

export const MAX_BUCKETS = 10_000;
export const MAX_PAGE_SIZE = 1_000;
export const DEFAULT_PAGE_SIZE = 100;

export type EveryUnit = 'hour' | 'day' | 'week' | 'month';
export interface Every {
  n: number;
  unit: EveryUnit;
}

/** `1hour`, `6hour`, `1day`, `7day`, `1week`, `1month`: multiples of hours and days, single weeks and months. */
export function parseEvery(text: string): Every | null {
  const m = /^([1-9]\d{0,3})(hour|day|week|month)$/.exec(text);
  if (!m) return null;
  const every = { n: Number(m[1]), unit: m[2] as EveryUnit };
  return (every.unit === 'week' || every.unit === 'month') && every.n !== 1 ? null : every;
}

export const isZone = (tz: string): boolean => IANAZone.isValidZone(tz);

/** An ISO date or date-time; one without an offset is read in `tz`. Null when it is not one. */
export function parseInstant(text: string, tz: string): Date | null {
  const d = DateTime.fromISO(text, { zone: tz, setZone: false });
  return d.isValid ? d.toJSDate() : null;
}

export interface Bucket {
  start: Date;
  end: Date;
}

function stepFrom(start: DateTime, every: Every, i: number): DateTime {
  // Each boundary from `start` directly, so Jan 31 + 1 month is Feb 28 and + 2 months is Mar 31 again.
  return start.plus({ [`${every.unit}s`]: every.n * i });
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Zones whose calendar is UTC's: their boundaries are plain arithmetic, no time-zone lookups. */
const UTC_NAMES = /^(etc\/)?(utc|uct|gmt|gmt0|gmt[+-]0|zulu|universal|greenwich)$/i;

function addMonthsUtc(ms: number, months: number): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/**
 * The i-th boundary from `start` (epoch ms). Hours are absolute time in any zone; days, weeks and
 * months follow the zone's calendar: arithmetic in UTC, luxon's calendar math elsewhere (about
 * 10-40 us a boundary, so a report computes only the boundaries of its page).
 */
function boundaryFn(start: Date, every: Every, tz: string): (i: number) => number {
  const s = start.getTime();
  if (every.unit === 'hour') return (i) => s + i * every.n * HOUR_MS;
  if (UTC_NAMES.test(tz)) {
    if (every.unit === 'month') return (i) => addMonthsUtc(s, i * every.n);
    const step = (every.unit === 'week' ? 7 : 1) * every.n * DAY_MS;
    return (i) => s + i * step;
  }
  return zonedBoundaries(DateTime.fromJSDate(start, { zone: tz }), every);
}

/**
 * Calendar steps in a zone, as luxon's `plus` takes them (wall clock plus whole days or months,
 * the day clamped to the month's last, then back to an instant with the start's offset as the
 * first guess), with one or two offset lookups a boundary instead of a DateTime each.
 */
function zonedBoundaries(start: DateTime, every: Every): (i: number) => number {
  const zone = start.zone;
  const o = start.offset;
  const { year, month, day, hour, minute, second, millisecond } = start;
  const days = (every.unit === 'week' ? 7 : 1) * every.n;
  const wall = (i: number): number => {
    if (every.unit !== 'month') return Date.UTC(year, month - 1, day + days * i, hour, minute, second, millisecond);
    const m = month - 1 + every.n * i;
    const last = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
    return Date.UTC(year, m, Math.min(day, last), hour, minute, second, millisecond);
  };
  return (i) => {
    // luxon's fixOffset: a wall time in a DST gap or overlap resolves as luxon resolves it.
    const local = wall(i);
    let guess = local - o * 60_000;
    const o2 = zone.offset(guess);
    if (o2 === o) return guess;
    guess -= (o2 - o) * 60_000;
    const o3 = zone.offset(guess);
    return o3 === o2 ? guess : local - Math.min(o2, o3) * 60_000;
  };
}

/** How many buckets [start, end) makes, counting no further than `cap` + 1. */
export function countBuckets(start: Date, end: Date, every: Every, tz: string, cap = MAX_BUCKETS): number {
  const at = boundaryFn(start, every, tz);
  const endMs = end.getTime();
  // Boundaries grow with i: the count is the first i whose boundary reaches `end` (binary search, ~14 steps).
  let lo = 0;
  let hi = cap + 1;
  if (at(hi) < endMs) return cap + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(mid) < endMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Buckets `first` .. `first + count - 1`, the last one cut at `end`. */
export function bucketsAt(start: Date, end: Date, every: Every, tz: string, first: number, count: number): Bucket[] {
  const at = boundaryFn(start, every, tz);
  const endMs = end.getTime();
  const out: Bucket[] = [];
  let a = at(first);
  for (let i = first; i < first + count && a < endMs; i++) {
    const b = at(i + 1);
    out.push({ start: new Date(a), end: new Date(Math.min(b, endMs)) });
    a = b;
  }
  return out;
}
