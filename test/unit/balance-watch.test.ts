// The live balance re-reads a watched workspace on each change signal (at most once per coalescing
// interval). Two reads can be under way at once (one slower than the interval): the older one's
// answer arriving last must not replace the newer balance on the stream.
import { createBalanceWatch, type BalanceEvent } from '../../src/services/credits/balance-watch';

describe('live balance with reads answering out of order', () => {
  afterEach(() => jest.useRealTimers());

  it('keeps the newest read balance', async () => {
    jest.useFakeTimers();
    const answers: Array<(balance: number) => void> = [];
    const store = {
      credits: {
        get: (workspaceId: string) => new Promise((r) => answers.push((balance) => r({ workspaceId, balance, createdAt: new Date(), updatedAt: new Date() }))),
      },
    };
    let signal: (body: unknown) => void = () => undefined;
    const bus = { subscribe: async (_t: string, h: (body: unknown) => void) => ((signal = h), { close: async () => undefined }) };
    const config = { credits: { currencyName: 'credits', streamCoalesceMs: 50, streamPollMs: 3_600_000 } } as never;
    const watch = createBalanceWatch({ store: store as never, bus: bus as never, config, logger: { debug() {} } as never });
    const heard: BalanceEvent[] = [];
    const stop = await watch.watch('w', (e) => heard.push(e), { workspaceId: 'w', balance: 100, currencyName: 'credits' });
    signal({ workspaceId: 'w' });
    await jest.advanceTimersByTimeAsync(60);
    signal({ workspaceId: 'w' });
    await jest.advanceTimersByTimeAsync(60);
    expect(answers).toHaveLength(2);
    // The second (newer) read answers first, then the first (older) one.
    answers[1](40_000);
    await jest.advanceTimersByTimeAsync(0);
    answers[0](70_000);
    await jest.advanceTimersByTimeAsync(0);
    expect(heard.map((e) => e.balance)).toEqual([40]);
    stop();
    await watch.close();
  });

  it('re-reads every watched workspace when the subscription comes back from a time away', async () => {
    jest.useFakeTimers();
    let reads = 0;
    const store = { credits: { get: async (workspaceId: string) => (reads++, { workspaceId, balance: 55_000, createdAt: new Date(), updatedAt: new Date() }) } };
    let resumed: (() => void) | undefined;
    const bus = { subscribe: async (_t: string, _h: unknown, o?: { onResumed?: () => void }) => ((resumed = o?.onResumed), { close: async () => undefined }) };
    const config = { credits: { currencyName: 'credits', streamCoalesceMs: 50, streamPollMs: 3_600_000 } } as never;
    const watch = createBalanceWatch({ store: store as never, bus: bus as never, config, logger: { debug() {} } as never });
    const heard: BalanceEvent[] = [];
    const stop = await watch.watch('w', (e) => heard.push(e), { workspaceId: 'w', balance: 100, currencyName: 'credits' });
    // The balance changed while the signal subscription was away: its signal was missed.
    resumed!();
    await jest.advanceTimersByTimeAsync(60);
    expect(reads).toBe(1);
    expect(heard.map((e) => e.balance)).toEqual([55]);
    stop();
    await watch.close();
  });
});
