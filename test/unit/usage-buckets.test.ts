// Bucket boundaries: the fast paths (hours as absolute time, UTC's calendar by arithmetic, a binary
// search for the count) give exactly what luxon's calendar math gives, step by step.
import { DateTime } from 'luxon';
import { bucketsAt, countBuckets, parseEvery } from '../../src/domain/usage-buckets';

/** The plain definition: each boundary is start + i steps in the zone's calendar; count them up to end. */
function reference(start: Date, end: Date, every: string, tz: string): Array<[string, string]> {
  const e = parseEvery(every)!;
  const s = DateTime.fromJSDate(start, { zone: tz });
  const at = (i: number) => s.plus({ [`${e.unit}s`]: e.n * i }).toMillis();
  const out: Array<[string, string]> = [];
  for (let i = 0; at(i) < end.getTime(); i++) out.push([new Date(at(i)).toISOString(), new Date(Math.min(at(i + 1), end.getTime())).toISOString()]);
  return out;
}

const cases: Array<[string, string, string, string]> = [
  ['2030-01-31T00:00:00Z', '2031-03-01T00:00:00Z', '1month', 'UTC'],
  ['2030-01-31T05:30:00Z', '2030-12-31T00:00:00Z', '1month', 'Etc/UTC'],
  ['2030-01-01T00:00:00Z', '2030-12-31T07:00:00Z', '1day', 'UTC'],
  ['2030-01-01T00:00:00Z', '2030-12-31T00:00:00Z', '1week', 'GMT'],
  ['2030-01-01T00:00:00Z', '2030-02-01T00:00:00Z', '7day', 'UTC'],
  ['2030-03-01T00:00:00Z', '2030-04-15T00:00:00Z', '6hour', 'Europe/Helsinki'],
  ['2030-03-20T22:00:00Z', '2030-04-10T00:00:00Z', '1day', 'Europe/Helsinki'],
  ['2030-01-31T22:00:00Z', '2031-01-01T00:00:00Z', '1month', 'Europe/Helsinki'],
  ['2030-10-20T00:00:00Z', '2030-11-10T00:00:00Z', '1day', 'America/New_York'],
  // 03:30 in Helsinki does not exist on 2030-03-31 (clocks jump 03:00 -> 04:00); 01:30 happens twice in New York on 2030-11-03.
  ['2030-03-20T01:30:00Z', '2030-04-05T00:00:00Z', '1day', 'Europe/Helsinki'],
  ['2030-10-25T05:30:00Z', '2030-11-10T00:00:00Z', '1day', 'America/New_York'],
  ['2029-10-31T01:30:00Z', '2031-06-01T00:00:00Z', '1month', 'America/New_York'],
  ['2030-01-05T00:00:00Z', '2030-12-31T00:00:00Z', '1week', 'Asia/Kathmandu'],
  ['2030-01-01T00:00:00Z', '2030-12-31T00:00:00Z', '3day', 'Australia/Lord_Howe'],
];

test.each(cases)('from %s to %s every %s in %s: the same buckets as step-by-step calendar math', (a, b, every, tz) => {
  const start = new Date(a);
  const end = new Date(b);
  const want = reference(start, end, every, tz);
  const e = parseEvery(every)!;
  expect(countBuckets(start, end, e, tz)).toBe(want.length);
  const got = [...bucketsAt(start, end, e, tz, 0, 7), ...bucketsAt(start, end, e, tz, 7, 10_000)].map((x) => [x.start.toISOString(), x.end.toISOString()]);
  expect(got).toEqual(want);
});

test('the count stops past the cap, however long the range', () => {
  expect(countBuckets(new Date('2000-01-01T00:00:00Z'), new Date('2100-01-01T00:00:00Z'), parseEvery('1day')!, 'Europe/Helsinki', 10_000)).toBe(10_001);
  expect(countBuckets(new Date('2000-01-01T00:00:00Z'), new Date('2000-01-01T00:00:01Z'), parseEvery('1month')!, 'UTC')).toBe(1);
});
