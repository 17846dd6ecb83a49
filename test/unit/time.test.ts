import { isValidDate, parseIsoTime, parseLegacyTime } from '../../src/domain/time';

describe('parseLegacyTime', () => {
  it('reads the original system example as a wall time in the given zone', () => {
    expect(parseLegacyTime('08/27/2019 21:04', 'UTC')?.toISOString()).toBe('2019-08-27T21:04:00.000Z');
    expect(parseLegacyTime('08/27/2019 21:04', 'Africa/Nairobi')?.toISOString()).toBe('2019-08-27T18:04:00.000Z');
    expect(parseLegacyTime('08/27/2019 22:04', 'America/New_York')?.toISOString()).toBe('2019-08-28T02:04:00.000Z');
  });

  it('accepts the edges of the calendar and the clock', () => {
    expect(parseLegacyTime('02/29/2020 00:00', 'UTC')?.toISOString()).toBe('2020-02-29T00:00:00.000Z');
    expect(parseLegacyTime('12/31/2019 23:59', 'UTC')?.toISOString()).toBe('2019-12-31T23:59:00.000Z');
    expect(parseLegacyTime('  01/01/2020 00:00 ', 'UTC')?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });

  it.each([
    ['13/40/2019 10:00', 'month 13, day 40'],
    ['13/01/2019 10:00', 'month 13'],
    ['00/10/2019 10:00', 'month 0'],
    ['02/29/2019 10:00', 'not a leap year'],
    ['04/31/2019 10:00', 'April has 30 days'],
    ['08/27/2019 24:00', 'hour 24'],
    ['08/27/2019 21:60', 'minute 60'],
    ['8/27/2019 21:04', 'one-digit month'],
    ['08/27/19 21:04', 'two-digit year'],
    ['08/27/2019 9:04', 'one-digit hour'],
    ['08/27/2019 09:04 PM', '12-hour clock'],
    ['08/27/2019 21:04:00', 'seconds'],
    ['2019-08-27 21:04', 'ISO shape'],
    ['08-27-2019 21:04', 'dashes'],
    ['08/27/2019T21:04', 'T separator'],
    ['', 'empty'],
  ])('rejects %s (%s)', (text) => {
    expect(parseLegacyTime(text, 'UTC')).toBeNull();
  });

  it('rejects an unknown zone', () => {
    expect(parseLegacyTime('08/27/2019 21:04', 'Mars/Olympus_Mons')).toBeNull();
  });

  it('moves a wall time skipped by a daylight-saving jump forward', () => {
    // 02:30 did not exist in New York on 2019-03-10: clocks went from 02:00 to 03:00 EDT.
    expect(parseLegacyTime('03/10/2019 02:30', 'America/New_York')?.toISOString()).toBe('2019-03-10T07:30:00.000Z');
  });
});

describe('parseIsoTime', () => {
  it.each([
    ['2019-08-27T21:04:00Z', '2019-08-27T21:04:00.000Z'],
    ['2019-08-27T21:04:00.123Z', '2019-08-27T21:04:00.123Z'],
    ['2019-08-27T21:04+03:00', '2019-08-27T18:04:00.000Z'],
    ['2019-08-27T21:04:00-0500', '2019-08-28T02:04:00.000Z'],
    ['2019-08-27 21:04Z', '2019-08-27T21:04:00.000Z'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
  ])('reads %s', (text, iso) => {
    expect(parseIsoTime(text)?.toISOString()).toBe(iso);
  });

  it('reads a date-time without an offset as UTC', () => {
    expect(parseIsoTime('2019-08-27T21:04')?.toISOString()).toBe('2019-08-27T21:04:00.000Z');
  });

  it.each(['2019-02-30T10:00Z', '2019-02-30T10:00:00.000Z', '2019-08-27T21:04:60.000Z', '2019-08-27T25:00Z', '2019-08-27', '08/27/2019 21:04', 'tomorrow', '', '2019-08-27T21:04+3'])(
    'rejects %p',
    (text) => {
      expect(parseIsoTime(text)).toBeNull();
    },
  );
});

describe('isValidDate', () => {
  it('tells real dates from invalid ones and non-dates', () => {
    expect(isValidDate(new Date(0))).toBe(true);
    expect(isValidDate(new Date('nonsense'))).toBe(false);
    expect(isValidDate('2019-08-27T21:04:00Z')).toBe(false);
  });
});
