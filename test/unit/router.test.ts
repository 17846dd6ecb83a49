// The provider router: order, weights, pausing, the failed provider skipped, the circuit breaker, rate tokens.
import type { Provider } from '../../src/providers/types';
import { ProviderRouter } from '../../src/workers/router';

function sms(id: string): Provider {
  return { id, type: 'fake', channel: 'sms', send: async () => ({ providerMessageId: id, status: 'sent' }) };
}
const control = (id: string, over: Partial<{ paused: boolean; order: number; weight: number; ratePerSecond: number }> = {}) => ({
  id, paused: false, order: 0, weight: 0, ...over,
});

describe('ProviderRouter', () => {
  it('follows the configured order, then the order set at run time', () => {
    const r = new ProviderRouter([sms('a'), sms('b'), { ...sms('mail'), channel: 'email' } as Provider]);
    expect(r.candidates('sms').map((p) => p.id)).toEqual(['a', 'b']);
    r.applyControl([control('a', { order: 5 }), control('b', { order: 1 })]);
    expect(r.candidates('sms').map((p) => p.id)).toEqual(['b', 'a']);
  });

  it('skips paused providers and falls back to the excluded one rather than none', () => {
    const r = new ProviderRouter([sms('a'), sms('b')]);
    expect(r.pick('sms', new Set(['a']))!.id).toBe('b');
    r.applyControl([control('b', { paused: true, order: 1 })]);
    expect(r.pick('sms', new Set(['a']))!.id).toBe('a');
    r.applyControl([control('a', { paused: true }), control('b', { paused: true, order: 1 })]);
    expect(r.pick('sms')).toBeUndefined();
    expect(r.status().map((s) => s.state)).toEqual(['paused', 'paused']);
  });

  it('splits by weight when weights are set', () => {
    let i = 0;
    // Two draws per ranking (first of a and b, then the one left).
    const draws = [0.1, 0, 0.5, 0, 0.9, 0, 0.8, 0];
    const r = new ProviderRouter([sms('a'), sms('b'), sms('c')], { random: () => draws[i++ % draws.length] });
    r.applyControl([control('a', { weight: 3 }), control('b', { weight: 1, order: 1 }), control('c', { order: 2 })]);
    const firsts = Array.from({ length: 4 }, () => r.candidates('sms'));
    // 0.1*4 and 0.5*4 land in a's 3; 0.9*4 and 0.8*4 in b's 1. The unweighted c always comes last.
    expect(firsts.map((c) => c[0].id)).toEqual(['a', 'a', 'b', 'b']);
    expect(firsts.every((c) => c[c.length - 1].id === 'c')).toBe(true);
  });

  it('opens the circuit after repeated failures, lets one trial through later, and closes it on success', () => {
    let now = 1_000_000;
    const r = new ProviderRouter([sms('a'), sms('b')], { circuit: { failureThreshold: 3, openMs: 10_000 }, clock: () => now });
    for (let k = 0; k < 2; k++) r.failed('a');
    expect(r.pick('sms')!.id).toBe('a');
    r.failed('a');
    expect(r.pick('sms')!.id).toBe('b');
    expect(r.status()[0]).toMatchObject({ state: 'open', circuit: 'open', failed: 3 });
    expect(r.drainActivity()).toEqual([{ id: 'a', sent: 0, failed: 3, circuitOpenUntil: new Date(now + 10_000) }]);
    expect(r.drainActivity()).toEqual([]);
    now += 10_001;
    expect(r.status()[0].circuit).toBe('half-open');
    return (async () => {
      expect((await r.acquire('sms')).provider!.id).toBe('a');
      // The trial is running: nobody else gets a until it reports.
      expect((await r.acquire('sms')).provider!.id).toBe('b');
      r.failed('a');
      expect(r.status()[0].circuit).toBe('open');
      now += 10_001;
      expect((await r.acquire('sms')).provider!.id).toBe('a');
      r.succeeded('a');
      expect(r.status()[0]).toMatchObject({ state: 'active', circuit: 'closed', consecutiveFailures: 0, sent: 1 });
    })();
  });

  it('takes a token per send, moves on to the next provider at the rate, and waits for the next second when all are', async () => {
    let now = 5_000_200;
    const used = new Map<string, number>();
    const tokens = {
      async takeToken(id: string, second: number, limit: number) {
        const k = `${id}@${second}`;
        if ((used.get(k) ?? 0) >= limit) return false;
        used.set(k, (used.get(k) ?? 0) + 1);
        return true;
      },
    };
    const slept: number[] = [];
    const r = new ProviderRouter([sms('a'), sms('b')], {
      tokens, clock: () => now, random: () => 0, maxTokenWaitMs: 1500,
      sleep: async (ms) => { slept.push(ms); now += ms; },
    });
    r.applyControl([control('a', { ratePerSecond: 2 }), control('b', { order: 1, ratePerSecond: 1 })]);
    const got = [];
    for (let k = 0; k < 4; k++) got.push((await r.acquire('sms')).provider!.id);
    expect(got).toEqual(['a', 'a', 'b', 'a']);
    expect(slept).toEqual([800]);
    expect(Math.floor(now / 1000)).toBe(5001);
    expect(await r.throttle('a')).toBe(true);
    // Both spent in this second and the next-second wait is past the bound: put back, with when to look again.
    const r2 = new ProviderRouter([sms('a')], { tokens, clock: () => now, maxTokenWaitMs: 100, sleep: async () => undefined });
    r2.applyControl([control('a', { ratePerSecond: 2 })]);
    expect(await r2.acquire('sms')).toEqual({ provider: undefined, reason: 'rate-limited', retryInMs: expect.any(Number) });
    expect((await r2.acquire('email'))).toMatchObject({ provider: undefined, reason: 'no-provider' });
  });
});
