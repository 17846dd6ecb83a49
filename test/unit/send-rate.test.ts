// The provider rate at the moment of sending: a send woken up late (a stalled event loop) takes a
// fresh slot instead of going late, so late sends never bunch with the on-time ones after them.
import { lateMs, SendRate } from '../../src/workers/send-rate';
import type { ProviderHealthLog } from '../../src/workers/provider-health-log';

/** Virtual time: sleeps wake in order; a stall holds every wake-up inside it until it ends. */
function virtualTime(stall: { from: number; to: number }) {
  let now = 0;
  const timers: { at: number; wake: () => void }[] = [];
  const sleep = (ms: number) => new Promise<void>((wake) => timers.push({ at: now + ms, wake }));
  async function run(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (!timers.length) return;
      timers.sort((a, b) => a.at - b.at);
      const t = timers.shift()!;
      now = Math.max(now, t.at);
      if (now >= stall.from && now < stall.to) now = stall.to;
      t.wake();
    }
  }
  return { clock: () => now, sleep, run };
}

function busiestSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j] - t[i] >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

const health = { slowedDown: () => undefined, fullSpeed: () => undefined } as unknown as ProviderHealthLog;

test('sends woken late by a stall take fresh slots: no one-second window holds more than the rate', async () => {
  const RATE = 5;
  const time = virtualTime({ from: 300, to: 900 });
  const rate = new SendRate({ maxWaitMs: 2000, guardMs: 100, health, clock: time.clock, sleep: time.sleep });
  rate.setConfigured('p', RATE);
  const sentAt: number[] = [];
  const sends = Array.from({ length: 8 }, async () => {
    const r = await rate.reserve('p');
    expect(r).toEqual({ ok: true });
    sentAt.push(time.clock());
  });
  await Promise.all([time.run(), ...sends]);
  // Slots 220 ms apart; the ones at 440 and 660 woke at 900 and were given up, the one at 880 woke
  // within lateMs of its slot and went.
  expect(lateMs(100)).toBe(25);
  expect(rate.missed).toBe(2);
  expect(sentAt.sort((a, b) => a - b)).toEqual([0, 220, 900, 1100, 1320, 1540, 1760, 1980]);
  expect(busiestSecond(sentAt)).toBeLessThanOrEqual(RATE);
});

test('a send that keeps waking too late goes back to the queue instead of sending late', async () => {
  let now = 0;
  // Every sleep overshoots by 100 ms (a starved process): each slot is missed.
  const sleep = async (ms: number) => void (now += ms + 100);
  const rate = new SendRate({ maxWaitMs: 2000, guardMs: 100, health, clock: () => now, sleep });
  rate.setConfigured('p', 5);
  expect(await rate.reserve('p')).toEqual({ ok: true });
  expect(await rate.reserve('p')).toEqual({ ok: false, retryInMs: 250 });
  expect(rate.missed).toBe(5);
});
