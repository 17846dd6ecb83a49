// The pure parts of status webhooks: the Standard Webhooks signature, which outcomes are retried and
// when, and which addresses and URLs an endpoint may use.
import {
  deliveryIdOf, eventIdOf, isEndpointId, newEndpointId, newSigningSecret, nextAttemptAt, signPayload, type AttemptOutcome,
} from '../../src/domain/webhooks';
import { isPublicAddress, urlProblem } from '../../src/services/webhooks/address';

test('signs like the Standard Webhooks reference (its published test vector)', () => {
  const sig = signPayload('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
  expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('secrets are whsec_ and 32 random bytes; endpoint ids we_ and 24 characters; event and delivery ids are stable', () => {
  const a = newSigningSecret();
  expect(a).toMatch(/^whsec_/);
  expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
  expect(newSigningSecret()).not.toBe(a);
  expect(newEndpointId()).toMatch(/^we_[A-Za-z0-9]{24}$/);
  expect(isEndpointId(newEndpointId())).toBe(true);
  expect(isEndpointId('sms-twilio')).toBe(false);
  expect(eventIdOf('message', 'm1', 3, 'sent')).toBe(eventIdOf('message', 'm1', 3, 'sent'));
  expect(eventIdOf('message', 'm1', 3, 'sent')).not.toBe(eventIdOf('message', 'm1', 4, 'sent'));
  expect(deliveryIdOf('evt_1', 'we_a')).not.toBe(deliveryIdOf('evt_1', 'we_b'));
});

describe('nextAttemptAt', () => {
  const policy = { retryBaseMs: 10_000, retryMaxMs: 7_200_000 };
  const now = new Date('2030-01-01T00:00:00Z');
  const until = new Date(now.getTime() + 26 * 3_600_000);
  const answer = (status: number, retryAfter?: string): AttemptOutcome => ({ kind: 'answer', status, retryAfter });
  const waitOf = (o: AttemptOutcome, attempt = 1, random = () => 0.5) => {
    const at = nextAttemptAt(policy, o, attempt, until, now, random);
    return at ? at.getTime() - now.getTime() : undefined;
  };

  it('retries timeouts, connection errors, 408, 429 and 5xx; never a 2xx, another 4xx, a 3xx or a refused address', () => {
    for (const s of [408, 429, 500, 502, 503, 504]) expect({ s, retried: waitOf(answer(s)) !== undefined }).toEqual({ s, retried: true });
    for (const s of [200, 204, 301, 400, 401, 403, 404, 410, 422]) expect({ s, retried: waitOf(answer(s)) !== undefined }).toEqual({ s, retried: false });
    expect(waitOf({ kind: 'no-answer', error: 'no answer within 10000 ms', retryable: true })).toBeDefined();
    expect(waitOf({ kind: 'no-answer', error: 'resolves to 127.0.0.1', retryable: false })).toBeUndefined();
  });

  it('backs off exponentially with jitter: between half and all of base x 2^(n-1), capped at the maximum', () => {
    for (const [attempt, step] of [[1, 10_000], [2, 20_000], [5, 160_000], [20, 7_200_000]] as const) {
      expect(waitOf(answer(500), attempt, () => 0)).toBe(step / 2);
      expect(waitOf(answer(500), attempt, () => 0.999999)).toBeLessThanOrEqual(step);
      expect(waitOf(answer(500), attempt, () => 0.999999)).toBeGreaterThan(step * 0.9);
    }
  });

  it("honours a 429's Retry-After, in seconds or as a date", () => {
    expect(waitOf(answer(429, '120'))).toBe(120_000);
    expect(waitOf(answer(429, new Date(now.getTime() + 3_600_000).toUTCString()))).toBe(3_600_000);
    expect(waitOf(answer(429, 'soon'))).toBeLessThanOrEqual(10_000);
  });

  it('keeps trying for the whole window (at least 24 hours by default), the last try at its end, then stops', () => {
    let t = now.getTime();
    const times: number[] = [];
    for (let attempt = 1; attempt < 100; attempt++) {
      const next = nextAttemptAt(policy, answer(503), attempt, until, new Date(t));
      if (!next) break;
      t = next.getTime();
      times.push(t);
    }
    expect(times.at(-1)).toBe(until.getTime());
    expect(until.getTime() - now.getTime()).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(times.length).toBeGreaterThan(10);
    expect(times.length).toBeLessThan(40);
    expect(nextAttemptAt(policy, answer(503), 99, until, until)).toBeUndefined();
  });
});

test('public addresses only, unless allowed: IPv4, IPv6 and IPv4-mapped IPv6', () => {
  for (const a of ['127.0.0.1', '10.0.0.8', '172.16.5.4', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1']) {
    expect({ a, public: isPublicAddress(a) }).toEqual({ a, public: false });
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect({ a, public: isPublicAddress(a) }).toEqual({ a, public: true });
  expect(urlProblem('https://example.com/h', false)).toBeUndefined();
  expect(urlProblem('http://127.0.0.1/h', false)).toMatch(/loopback, private or link-local/);
  expect(urlProblem('http://127.0.0.1/h', true)).toBeUndefined();
  // A fully qualified name (trailing dot) is the same machine: refused at registration too, not only when connecting.
  expect(urlProblem('http://LOCALHOST./h', false)).toMatch(/is this machine/);
  expect(urlProblem('http://app.localhost./h', false)).toMatch(/is this machine/);
  expect(urlProblem('ftp://example.com', true)).toMatch(/http/);
  expect(urlProblem('https://user:pw@example.com', true)).toMatch(/password/);
  expect(urlProblem('not a url', true)).toMatch(/absolute/);
});
