import { createRequestTraffic } from '../../src/http/traffic';
import { createYieldGate } from '../../src/workers/yield-gate';

describe('the fan-out lets requests go first (yield gate)', () => {
  afterEach(() => jest.useRealTimers());

  it('starts at once while no request arrives', () => {
    const gate = createYieldGate({ busy: () => false }, 100);
    expect(gate.enter()).toBeUndefined();
    expect(createYieldGate(undefined, 100).enter()).toBeUndefined();
  });

  it('while requests arrive, those waiting start together at the next round, never later', async () => {
    jest.useFakeTimers();
    const gate = createYieldGate({ busy: () => true }, 100);
    const started: number[] = [];
    const first = gate.enter()!.then(() => started.push(1));
    jest.advanceTimersByTime(60);
    const second = gate.enter()!.then(() => started.push(2));
    await Promise.resolve();
    expect(started).toEqual([]);
    jest.advanceTimersByTime(40);
    await Promise.all([first, second]);
    expect(started).toEqual([1, 2]);
    // The next one waits for a round of its own.
    const third = gate.enter()!.then(() => started.push(3));
    jest.advanceTimersByTime(100);
    await third;
    expect(started).toEqual([1, 2, 3]);
  });

  it('close() lets every waiter start now', async () => {
    jest.useFakeTimers();
    const gate = createYieldGate({ busy: () => true }, 10_000);
    const waiting = gate.enter()!;
    gate.close();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('traffic is busy while requests keep coming in, and quiet once they stop', () => {
    let t = 0;
    const traffic = createRequestTraffic(20, () => t);
    expect(traffic.busy()).toBe(false);
    traffic.seen();
    t = 19;
    expect(traffic.busy()).toBe(true);
    t = 20;
    expect(traffic.busy()).toBe(false);
  });
});
