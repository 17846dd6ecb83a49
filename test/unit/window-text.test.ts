// `herald status` shows the effective window, and the window asked for when Herald re-anchored it.
import { formatWindow } from '../../src/cli/window-text';

test('an open window shows its validity; a closed one its end', () => {
  expect(formatWindow({ startTime: new Date('2030-01-31T09:00:00Z'), validUntil: new Date('2030-02-02T09:00:00Z') })).toBe(
    '  window   2030-01-31T09:00:00.000Z .. (open, valid until 2030-02-02T09:00:00.000Z)',
  );
  expect(formatWindow({ startTime: '2030-01-31T09:00:00.000Z', endTime: '2030-01-31T10:00:00.000Z', validUntil: '2030-01-31T10:00:00.000Z' })).toBe(
    '  window   2030-01-31T09:00:00.000Z .. 2030-01-31T10:00:00.000Z',
  );
});

test('a re-anchored legacy window shows both the effective and the original window', () => {
  const text = formatWindow({
    startTime: '2019-08-27T18:04:00.000Z',
    validUntil: '2026-12-03T04:00:00.000Z',
    requestedWindow: { startTime: '2019-08-27T18:04:00.000Z', endTime: '2019-08-27T19:04:00.000Z' },
  });
  expect(text.split('\n')).toEqual([
    '  window   2019-08-27T18:04:00.000Z .. (open, valid until 2026-12-03T04:00:00.000Z) (re-anchored)',
    '  asked    2019-08-27T18:04:00.000Z .. 2019-08-27T19:04:00.000Z (had closed when it arrived)',
  ]);
});
