import { exponentialJitter, fixed, retryAfterFrom } from '../../src/domain/retry';
import { backoffMs } from '../../src/bus/amqp/connection';

describe('exponentialJitter', () => {
  const top = () => 0.999999;

  it('caps the wait at base x 2^(attempt-1), then at maxMs', () => {
    const backoff = exponentialJitter({ baseMs: 100, maxMs: 1000 }, top);
    expect([1, 2, 3, 4, 5, 6, 50].map(backoff)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('full jitter: the lowest random value waits nothing', () => {
    const backoff = exponentialJitter({ baseMs: 100, maxMs: 1000 }, () => 0);
    expect(backoff(5)).toBe(0);
  });

  it('with real randomness, attempt 1 never waits more than the base and waits vary', () => {
    const backoff = exponentialJitter({ baseMs: 500, maxMs: 60_000 });
    const waits = Array.from({ length: 200 }, () => backoff(1));
    expect(Math.max(...waits)).toBeLessThanOrEqual(500);
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
    expect(new Set(waits).size).toBeGreaterThan(10);
    const late = Array.from({ length: 200 }, () => backoff(30));
    expect(Math.max(...late)).toBeLessThanOrEqual(60_000);
  });

  it('treats attempt 0 or below as the first and survives huge attempts', () => {
    const backoff = exponentialJitter({ baseMs: 100, maxMs: 1000 }, top);
    expect(backoff(0)).toBe(100);
    expect(backoff(-3)).toBe(100);
    expect(backoff(10_000)).toBe(1000);
  });

  it('refuses nonsense settings', () => {
    expect(() => exponentialJitter({ baseMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => exponentialJitter({ baseMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});

describe('fixed', () => {
  it('always waits the same', () => {
    const backoff = fixed(250);
    expect([1, 2, 10].map(backoff)).toEqual([250, 250, 250]);
    expect(() => fixed(-1)).toThrow(RangeError);
  });
});

describe('retryAfterFrom', () => {
  const now = new Date('2019-08-27T21:04:00Z');

  it('reads delta-seconds', () => {
    expect(retryAfterFrom('120', now)).toBe(120_000);
    expect(retryAfterFrom(' 0 ', now)).toBe(0);
    expect(retryAfterFrom(['3', '9'], now)).toBe(3000);
  });

  it('reads an HTTP date relative to now', () => {
    expect(retryAfterFrom('Tue, 27 Aug 2019 21:05:30 GMT', now)).toBe(90_000);
    expect(retryAfterFrom('Tuesday, 27-Aug-19 21:04:10 GMT', now)).toBe(10_000);
  });

  it('a date already past means retry now', () => {
    expect(retryAfterFrom('Tue, 27 Aug 2019 20:00:00 GMT', now)).toBe(0);
  });

  it.each([undefined, null, '', '   ', '-5', '1.5', 'soon', 'Tue, 99 Foo 2019 GMT', []])('ignores %p', (value) => {
    expect(retryAfterFrom(value as string | string[] | null | undefined, now)).toBeUndefined();
  });
});

describe('the RabbitMQ reconnect backoff', () => {
  it('is the providers\' full-jitter backoff: 0..100 ms first, capped at 5 s', () => {
    const samples = (attempt: number) => Array.from({ length: 200 }, () => backoffMs(attempt));
    expect(Math.max(...samples(1))).toBeLessThanOrEqual(100);
    expect(Math.max(...samples(40))).toBeLessThanOrEqual(5000);
    // Full jitter reaches well below half the cap (the old one never went under 50 %).
    expect(Math.min(...samples(40))).toBeLessThan(2500);
  });
});
