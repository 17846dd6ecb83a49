import { createLogFollower } from '../../src/cli/log-follower';
import type { LogLine } from '../../src/domain/types';
import type { LogQuery } from '../../src/store/store';

const line = (seq: number): LogLine => ({ seq, time: new Date(0), level: 'info', process: 'p', message: `line ${seq}` });

/** The log as the store holds it: appended in any order, read by seq. */
function fakeLog() {
  const lines: LogLine[] = [];
  return {
    add: (...seqs: number[]) => lines.push(...seqs.map(line)),
    query: async (q: LogQuery) =>
      lines
        .filter((l) => q.afterSeq === undefined || (l.seq ?? 0) > q.afterSeq)
        .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
        .slice(0, q.limit),
  };
}

describe('createLogFollower', () => {
  it('prints a line that lands after a higher seq (another process reserved it first), each line once', async () => {
    const log = fakeLog();
    let now = 0;
    const follower = createLogFollower(log.query, {}, { afterSeq: 10, settleMs: 3000, clock: () => now });
    log.add(9, 10, 11);
    expect((await follower.poll()).map((l) => l.seq)).toEqual([11]);
    log.add(14, 15); // 12 and 13 are reserved by a slower process
    now += 500;
    expect((await follower.poll()).map((l) => l.seq)).toEqual([14, 15]);
    log.add(12, 13);
    now += 500;
    expect((await follower.poll()).map((l) => l.seq)).toEqual([12, 13]);
    now += 5000;
    expect(await follower.poll()).toEqual([]);
    log.add(16);
    expect((await follower.poll()).map((l) => l.seq)).toEqual([16]);
  });

  it('reads past a full page', async () => {
    const log = fakeLog();
    log.add(...Array.from({ length: 2500 }, (_, i) => i + 1));
    const follower = createLogFollower(log.query, {});
    const got = await follower.poll();
    expect(got).toHaveLength(2500);
    expect(got[2499].seq).toBe(2500);
  });
});
