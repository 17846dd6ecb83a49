import { createLimiter } from '../../src/workers/limiter';

const tick = () => new Promise((r) => setImmediate(r));

describe('createLimiter', () => {
  it('runs at most n tasks at once, in arrival order, and frees a slot when a task throws', async () => {
    const limit = createLimiter(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const gates: Array<() => void> = [];
    const task = (i: number) =>
      limit(async () => {
        started.push(i);
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => gates.push(r));
        active--;
        if (i === 0) throw new Error('boom');
        return i;
      });
    const results = [0, 1, 2, 3].map((i) => task(i).catch((e: Error) => e.message));
    await tick();
    expect(started).toEqual([0, 1]);
    gates[0]();
    await tick();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[1]();
    await tick();
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]();
    gates[3]();
    expect(await Promise.all(results)).toEqual(['boom', 1, 2, 3]);
    expect(peak).toBe(2);
  });

  it('lets the next task start once a task gives its slot back, and counts that slot once', async () => {
    const limit = createLimiter(1);
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string, releaseEarly: boolean) =>
      limit(async (release) => {
        started.push(name);
        if (releaseEarly) {
          release();
          release();
        }
        await new Promise<void>((r) => gates.set(name, r));
        return name;
      });
    const a = task('a', true);
    const b = task('b', false);
    const c = task('c', false);
    await tick();
    // a gave its slot back while still running: b has it; c waits for b, not for a as well.
    expect(started).toEqual(['a', 'b']);
    gates.get('a')!();
    await a;
    await tick();
    expect(started).toEqual(['a', 'b']);
    gates.get('b')!();
    await b;
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    gates.get('c')!();
    expect(await c).toBe('c');
  });
});
