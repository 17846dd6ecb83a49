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

/** How many buckets [start, end) makes, counting no further than `cap` + 1. */
export function countBuckets(start: Date, end: Date, every: Every, tz: string, cap = MAX_BUCKETS): number {
  const s = DateTime.fromJSDate(start, { zone: tz });
  const endMs = end.getTime();
  if (every.unit === 'hour') return Math.min(cap + 1, Math.ceil((endMs - start.getTime()) / (every.n * 3_600_000)));
  let i = 0;
  while (i <= cap && stepFrom(s, every, i).toMillis() < endMs) i++;
  return i;
}

/** Buckets `first` .. `first + count - 1`, the last one cut at `end`. */
export function bucketsAt(start: Date, end: Date, every: Every, tz: string, first: number, count: number): Bucket[] {
  const s = DateTime.fromJSDate(start, { zone: tz });
  const out: Bucket[] = [];
  for (let i = first; i < first + count; i++) {
    const a = stepFrom(s, every, i).toJSDate();
    if (a.getTime() >= end.getTime()) break;
    const b = stepFrom(s, every, i + 1).toJSDate();
    out.push({ start: a, end: b.getTime() > end.getTime() ? end : b });
  }
  return out;
}
