import { createBatcher } from '../../src/workers/batcher';

const tick = () => new Promise((r) => setImmediate(r));


describe('batcher', () => {
  it('runs the items made together in one call, each with its own result', async () => {
    const calls: string[][] = [];
    const upper = createBatcher(async (items: string[]) => {
      calls.push(items);
      return items.map((i) => i.toUpperCase());
    });
    expect(await Promise.all([upper('a'), upper('b'), upper('c')])).toEqual(['A', 'B', 'C']);
    expect(await upper('d')).toBe('D');
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('does not hold later items behind a batch that never finishes', async () => {
    const calls: string[][] = [];
    const run = createBatcher(async (items: string[]) => {
      calls.push(items);
      if (items.includes('stuck')) await new Promise(() => undefined);
      return items;
    });
    let settled = false;
    void run('stuck').then(() => (settled = true));
    await tick();
    expect(await Promise.all([run('a'), run('b')])).toEqual(['a', 'b']);
    expect(calls).toEqual([['stuck'], ['a', 'b']]);
    expect(settled).toBe(false);
  });

  it('rejects every item of a failed batch and still runs the next one', async () => {
    let fail = true;
    const run = createBatcher(async (items: string[]) => {
      if (fail) throw new Error('store down');
      return items;
    });
    const failed = await Promise.allSettled([run('a'), run('b')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(run('a')).resolves.toBe('a');
  });

  it('a run that throws before returning its promise rejects its callers, and the next batch still runs', async () => {
    let fail = true;
    // Not async: the store call throws at once (e.g. a connection already closed), with no promise to reject.
    const run = createBatcher((items: string[]): Promise<string[]> => {
      if (fail) throw new Error('not connected');
      return Promise.resolve(items);
    });
    const failed = await Promise.allSettled([run('a'), run('b')]);
    expect(failed).toEqual([
      { status: 'rejected', reason: new Error('not connected') },
      { status: 'rejected', reason: new Error('not connected') },
    ]);
    fail = false;
    await expect(run('c')).resolves.toBe('c');
  }, 2_000);

  it('with a linger, a full batch whose run throws at once rejects its callers; the next batch still runs', async () => {
    const run = createBatcher((items: number[]): Promise<number[]> => {
      if (items.includes(2)) throw new Error('bad batch');
      return Promise.resolve(items);
    }, 2, 300);
    const out = await Promise.allSettled([run(1), run(2), run(3)]);
    expect(out.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  }, 2_000);

  it('splits a backlog into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const run = createBatcher(async (items: string[]) => {
      sizes.push(items.length);
      return items;
    }, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((i) => run(i)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('with a linger, items arriving within it share one call; a full batch does not wait', async () => {
    const calls: number[][] = [];
    const run = createBatcher(async (items: number[]) => (calls.push(items), items), 3, 300);
    const first = run(1);
    await new Promise((r) => setTimeout(r, 10));
    const second = run(2);
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(calls).toEqual([[1, 2]]);
    const started = Date.now();
    expect(await Promise.all([run(3), run(4), run(5)])).toEqual([3, 4, 5]);
    expect(Date.now() - started).toBeLessThan(250);
    expect(calls).toEqual([[1, 2], [3, 4, 5]]);
  });
});
