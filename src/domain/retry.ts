// Backoff strategies for retrying providers and the bus, and the Retry-After header.

/** Milliseconds to wait before attempt number `attempt` (1 = the first retry). */
export type BackoffStrategy = (attempt: number) => number;

/**
 * Full jitter: a uniform wait in [0, min(maxMs, baseMs x 2^(attempt-1))], so retries of many
 * messages spread out instead of arriving together. `random` is injectable for tests.
 */
export function exponentialJitter(opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): BackoffStrategy {
  const { baseMs, maxMs } = opts;
  if (!(baseMs > 0) || !(maxMs >= baseMs)) throw new RangeError(`need 0 < baseMs <= maxMs, got ${baseMs}, ${maxMs}`);
  return (attempt) => {
    const n = Math.max(1, Math.floor(attempt));
    const cap = Math.min(maxMs, baseMs * 2 ** (n - 1));
    return Math.floor(random() * (cap + 1));
  };
}

export function fixed(ms: number): BackoffStrategy {
  if (!(ms >= 0)) throw new RangeError(`a fixed backoff needs ms >= 0, got ${ms}`);
  return () => ms;
}

const DELTA_SECONDS = /^\d+$/;

/**
 * Milliseconds a Retry-After header asks for: delta-seconds (`120`) or an HTTP date (a date
 * already past gives 0). Undefined when absent or unreadable.
 */
export function retryAfterFrom(headerValue: string | string[] | null | undefined, now: Date = new Date()): number | undefined {
  const raw = Array.isArray(headerValue) ? headerValue[0] : headerValue;
  if (raw === undefined || raw === null) return undefined;
  const value = raw.trim();
  if (value === '') return undefined;
  if (DELTA_SECONDS.test(value)) return Number(value) * 1000;
  // Only an HTTP date (with a weekday name), so stray numbers like `1.5` are not read as dates.
  if (!/^[A-Za-z]{3,9},? /.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
