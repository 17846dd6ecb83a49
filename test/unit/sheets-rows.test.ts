// An event as a sheet row: flattening, the header that only grows, A1 helpers; the sheets config.
import { loadConfig } from '../../src/config';
import { columnLetter, eventRecord, flatten, growHeader, lastRowOf, MAX_CELL_CHARS, quoteSheet, rowValues } from '../../src/domain/sheets';

test('nested fields become dotted columns; arrays one JSON cell; null and {} empty cells', () => {
  expect(flatten({ a: 1, b: { c: 'x', d: { e: true } }, list: [1, { z: 2 }], none: null, empty: {}, when: new Date('2030-01-01T00:00:00Z') })).toEqual({
    a: 1, 'b.c': 'x', 'b.d.e': true, list: '[1,{"z":2}]', none: '', empty: '', when: '2030-01-01T00:00:00.000Z',
  });
});

test('an event row starts with id, time and event type; a data field named like one of them is data.<name>', () => {
  const r = eventRecord({ id: 'n1', createdAt: new Date('2030-01-01T00:00:00Z'), eventTypeId: 'order', data: { id: 'o-7', total: 5 } });
  expect(r).toEqual({ id: 'n1', time: '2030-01-01T00:00:00.000Z', eventType: 'order', 'data.id': 'o-7', total: 5 });
});

test('the header grows at the end, in first-seen order, and never reorders', () => {
  expect(growHeader([], [{ id: '1', time: 't', eventType: 'e', b: 1 }, { a: 2, b: 3 }])).toEqual(['id', 'time', 'eventType', 'b', 'a']);
  expect(growHeader(['time', 'id', 'mine'], [{ id: '1', z: 1 }])).toEqual(['time', 'id', 'mine', 'eventType', 'z']);
});

test('cells follow the header, missing ones empty, trailing empties dropped, over-long text cut', () => {
  expect(rowValues(['id', 'a', 'b', 'c'], { id: 'x', b: 2 })).toEqual(['x', '', 2]);
  const long = rowValues(['t'], { t: 'y'.repeat(MAX_CELL_CHARS + 10) })[0] as string;
  expect(long).toHaveLength(MAX_CELL_CHARS);
  expect(long.endsWith('…')).toBe(true);
});

test('A1 helpers: column letters, quoted sheet names, the last row of a range', () => {
  expect([0, 25, 26, 51, 701, 702].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'AZ', 'ZZ', 'AAA']);
  expect(quoteSheet("Bob's events")).toBe("'Bob''s events'");
  expect(lastRowOf("'Events'!A7:F12")).toBe(12);
  expect(lastRowOf('Events!A7')).toBe(7);
  expect(lastRowOf('Events')).toBeUndefined();
  expect(lastRowOf(undefined)).toBeUndefined();
});

test('a sheets lease shorter than a request timeout is refused at start-up, naming the variable', () => {
  expect(() => loadConfig({ HERALD_SHEETS_LEASE_MS: '1000', HERALD_SHEETS_TIMEOUT_MS: '2000' })).toThrow(/sheets\.leaseMs \(HERALD_SHEETS_LEASE_MS\) leaseMs must be longer than timeoutMs/);
  expect(loadConfig({}).sheets).toMatchObject({ leaseMs: 60_000, timeoutMs: 30_000, batchRows: 500 });
});
