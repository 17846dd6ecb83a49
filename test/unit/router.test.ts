// The provider router: order, weights, pausing, the failed provider skipped, the circuit breaker, rate tokens.
import type { Provider } from '../../src/providers/types';
import { ProviderRouter, type Chosen, type Waiter } from '../../src/workers/router';

function sms(id: string): Provider {
  return { id, type: 'fake', channel: 'sms', send: async () => ({ providerMessageId: id, status: 'sent' }) };
}
const control = (id: string, over: Partial<{ paused: boolean; order: number; weight: number; ratePerSecond: number }> = {}) => ({
  id, paused: false, order: 0, weight: 0, ...over,
});

const none: ReadonlySet<string> = new Set();

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

  it('opens the circuit after repeated failures, for a spell that starts at 1 s and doubles per failed trial up to openMs', () => {
    let now = 1_000_000;
    const r = new ProviderRouter([sms('a'), sms('b')], { circuit: { failureThreshold: 3, openMs: 3_000 }, clock: () => now });
    const on = (id: string, trial = false): Chosen => ({ provider: sms(id), trial });
    for (let k = 0; k < 2; k++) r.failed(on('a'));
    expect(r.pick('sms')!.id).toBe('a');
    r.failed(on('a'));
    expect(r.pick('sms')!.id).toBe('b');
    expect(r.status()[0]).toMatchObject({ state: 'open', circuit: 'open', failed: 3 });
    expect(r.drainActivity()).toEqual([{ id: 'a', sent: 0, failed: 3, circuitOpenUntil: new Date(now + 1_000) }]);
    expect(r.drainActivity()).toEqual([]);
    // A straggler that started before the circuit opened changes nothing.
    r.failed(on('a'));
    now += 1_000;
    expect(r.status()[0].circuit).toBe('half-open');
    const trial = r.choose('sms', none, none) as Chosen;
    expect(trial).toEqual({ provider: expect.objectContaining({ id: 'a' }), trial: true });
    // The trial is running: nobody else gets a until it reports.
    expect(r.choose('sms', none, none)).toEqual({ provider: expect.objectContaining({ id: 'b' }), trial: false });
    r.failed(trial);
    expect(r.status()[0].circuit).toBe('open');
    now += 1_999;
    expect(r.status()[0].circuit).toBe('open');
    now += 1;
    r.failed(r.choose('sms', none, none) as Chosen);
    now += 2_999; // capped at openMs
    expect(r.status()[0].circuit).toBe('open');
    now += 1;
    const third = r.choose('sms', none, none) as Chosen;
    expect(third.trial).toBe(true);
    r.succeeded(third);
    expect(r.status()[0]).toMatchObject({ state: 'active', circuit: 'closed', consecutiveFailures: 0, sent: 1 });
  });

  it('gives the half-open trial to the message that has waited longest, and a 429 never opens the circuit', async () => {
    let now = 2_000_000;
    const r = new ProviderRouter([sms('a')], { circuit: { failureThreshold: 2, openMs: 1_000 }, clock: () => now, sleep: async (ms) => void (now += ms) });
    for (let k = 0; k < 5; k++) r.rateLimited({ provider: sms('a'), trial: false }, 1000);
    expect(r.status()[0].circuit).toBe('closed');
    r.failed({ provider: sms('a'), trial: false });
    r.failed({ provider: sms('a'), trial: false });
    // `old` has been tried twice already; `older` is older but untried; `last` would spend its last attempt.
    const old: Waiter = { id: 'old', since: 3, attempts: 2, lastChance: false };
    const older: Waiter = { id: 'older', since: 1, attempts: 0, lastChance: false };
    const fresh: Waiter = { id: 'fresh', since: 5, attempts: 0, lastChance: false };
    const last: Waiter = { id: 'last', since: 0, attempts: 4, lastChance: true };
    // All held; when the spell ends the one that waited through most attempts (not on its last) gets the trial.
    const [a, b, c, d] = await Promise.all([
      r.waitForProvider('sms', none, none, fresh, 1_500),
      r.waitForProvider('sms', none, none, old, 1_500),
      r.waitForProvider('sms', none, none, last, 1_500),
      r.waitForProvider('sms', none, none, older, 1_500),
    ]);
    expect(b).toEqual({ provider: expect.objectContaining({ id: 'a' }), trial: true });
    expect([a, c, d]).toEqual([undefined, undefined, undefined]);
    // A fresh message arriving while others wait does not jump the queue.
    expect(r.choose('sms', none, none, fresh)).toBeUndefined();
  });

  it('spreads sends over slots an interval apart, moves on when none is free in time, and slows down after a 429', async () => {
    let now = 5_000_000;
    const slept: number[] = [];
    const r = new ProviderRouter([sms('a')], { clock: () => now, maxSlotWaitMs: 400, sleep: async (ms) => { slept.push(ms); now += ms; } });
    r.applyControl([control('a', { ratePerSecond: 10 })]);
    const got = [];
    for (let k = 0; k < 6; k++) got.push(await r.reserveSlot('a'));
    // 110 ms apart ((1 s + 100 ms guard) / 10): the 5th waits for its slot, still within 400 ms of asking.
    expect(got.every((g) => g.ok)).toBe(true);
    expect(slept).toEqual([110, 110, 110, 110, 110]);
    // Callers at the same instant: slots 0, 110, 220, 330 ms lie within the 400 ms wait, the rest are refused.
    const frozen = new ProviderRouter([sms('a'), sms('b')], { clock: () => now, maxSlotWaitMs: 400, sleep: async () => undefined });
    frozen.applyControl([control('a', { ratePerSecond: 10 }), control('b', { order: 1, ratePerSecond: 10 })]);
    const parallel = await Promise.all(Array.from({ length: 6 }, () => frozen.reserveSlot('a')));
    expect(parallel.filter((g) => g.ok)).toHaveLength(4);
    expect(parallel.filter((g) => !g.ok)).toEqual([{ ok: false, retryInMs: 250 }, { ok: false, retryInMs: 250 }]);
    // Choosing moves on from a provider at its rate to the next, and says so when all are.
    expect(frozen.choose('sms', none, none)).toEqual({ provider: expect.objectContaining({ id: 'b' }), trial: false });
    for (let k = 0; k < 3; k++) frozen.choose('sms', none, none);
    expect(frozen.choose('sms', none, none)).toBe('rate-limited');
    // Unlimited providers never wait; a 429 gives them a rate below what they were taking.
    const u = new ProviderRouter([sms('u')], { clock: () => now, sleep: async (ms) => void (now += ms) });
    for (let k = 0; k < 20; k++) expect(await u.reserveSlot('u')).toEqual({ ok: true });
    u.rateLimited({ provider: sms('u'), trial: false }, 1000);
    expect(u.status()[0].circuit).toBe('closed');
    now += 2_000;
    const before = now;
    for (let k = 0; k < 17; k++) await u.reserveSlot('u');
    // At most 16/s now (20 x 0.8): 17 sends take a second or more.
    expect(now - before).toBeGreaterThanOrEqual(1_000);
  });
});
