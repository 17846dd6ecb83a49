// The embedded consumer's poll tick claims whatever slot is free ("eager"); other kicks wait, while
// jobs run, for a batch of free slots (prefetch / 4). A poll tick that landed while a claim was being
// committed used to come back as a non-eager kick once the claim ended: a ready job then waited one
// more poll period beside a free slot. Real SQLite queue file; only the poll interval is a fake timer,
// so the next poll tick never comes on its own and the test sees whether the tick was kept.
import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Delivery, HandlerResult } from '../../src/bus/bus';
import { EmbeddedConsumer } from '../../src/bus/embedded/consumer';
import { JobStore } from '../../src/bus/embedded/job-store';
import { tempDir } from '../support/herald';

const POLL_MS = 60_000;
const turns = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
};

describe('embedded consumer: a poll tick during a claim', () => {
  let store: JobStore;
  let consumer: EmbeddedConsumer | undefined;
  const release = new Map<number, () => void>();

  beforeEach(() => {
    // Only the consumer's intervals (poll tick, lease renewal) are fake: commits, fsyncs and waits are real.
    jest.useFakeTimers({
      doNotFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'nextTick', 'queueMicrotask', 'hrtime', 'performance', 'Date'],
    });
    store = new JobStore(path.join(tempDir('eager-kick-'), 'queue.db'));
  });

  afterEach(async () => {
    for (const r of release.values()) r();
    await consumer?.cancel();
    jest.useRealTimers();
    store.close();
  });

  it('stays eager: a job published during the claim starts without waiting for the next tick', async () => {
    const started = new Set<number>();
    const handler = (d: Delivery): Promise<HandlerResult> => {
      const n = (d.body as { n: number }).n;
      started.add(n);
      return new Promise((resolve) => release.set(n, () => resolve({ action: 'ack' })));
    };
    const insert = (n: number) => store.insert('sms', Buffer.from(JSON.stringify({ n })), {}, undefined, 1, 0);

    // The claim's answer can be held (after its commit) to let a poll tick land while it is under way.
    let holdClaims = false;
    let letClaimGo: (() => void) | undefined;
    let claimHeld = false;
    const realLater = store.later.bind(store);
    const realClaim = store.claim.bind(store);
    let claims = 0;
    jest.spyOn(store, 'claim').mockImplementation((...args) => (claims++, realClaim(...args)));
    jest.spyOn(store, 'later').mockImplementation(<T>(fn: () => T): Promise<T> => {
      let isClaim = false;
      const p = realLater(() => {
        const before = claims;
        const r = fn();
        isClaim = claims > before;
        return r;
      });
      return p.then((v) => {
        if (!isClaim || !holdClaims) return v;
        holdClaims = false;
        claimHeld = true;
        return new Promise<T>((resolve) => (letClaimGo = () => resolve(v)));
      });
    });

    const wake = new EventEmitter();
    for (let n = 1; n <= 8; n++) insert(n);
    // prefetch 8: a non-eager kick waits for 2 free slots while jobs run.
    consumer = new EmbeddedConsumer({ store, wake, pollMs: POLL_MS, visibilityMs: 600_000, drainTimeoutMs: 2_000 }, 'sms', handler, 8, () => undefined);
    expect(await until(() => started.size === 8)).toBe(true);

    // Job 9 is ready; jobs 1 and 2 end: two slots free, a claim takes job 9 (7 running again).
    insert(9);
    holdClaims = true;
    release.get(1)!();
    release.get(2)!();
    expect(await until(() => claimHeld)).toBe(true);

    // While that claim is under way: job 10 is published, and the poll tick comes.
    insert(10);
    wake.emit('published', 'sms');
    jest.advanceTimersByTime(POLL_MS);
    await turns();
    letClaimGo!();

    // One slot is free and job 10 is ready: the tick's eager claim takes it now, not a poll period later.
    expect(await until(() => started.has(10), 3_000)).toBe(true);
    expect(started.has(9)).toBe(true);
  });
});
