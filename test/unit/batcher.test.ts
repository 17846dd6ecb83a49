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

  it('splits a backlog into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const run = createBatcher(async (items: string[]) => {
      sizes.push(items.length);
      return items;
    }, 2);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((i) => run(i)));
    expect(sizes).toEqual([2, 2, 1]);
  });
});
