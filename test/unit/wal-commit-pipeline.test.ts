// The embedded queue's group commit (store/sqlite/wal-commit.ts): the next group commits while the
// previous group's fsync is still running, but nobody is answered before the fsync that covers their
// write, and groups are answered in the order they committed.
import fsp from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { JobStore } from '../../src/bus/embedded/job-store';
import { tempDir } from '../support/herald';

describe('WAL group commit pipelining', () => {
  const held: Array<() => void> = [];
  let open: jest.SpyInstance;

  beforeEach(() => {
    const realOpen = fsp.open.bind(fsp);
    // Every fsync of the WAL file waits until the test lets it finish.
    open = jest.spyOn(fsp, 'open').mockImplementation((async (file: string, flags?: string) => {
      const h = await realOpen(file, flags);
      const realSync = h.sync.bind(h);
      h.sync = () => new Promise<void>((resolve, reject) => held.push(() => void realSync().then(resolve, reject)));
      return h;
    }) as typeof fsp.open);
  });

  afterEach(() => {
    open.mockRestore();
    held.length = 0;
  });

  const turn = () => new Promise((r) => setImmediate(r));
  /** Until `n` fsyncs are held: opening the WAL file goes through libuv's thread pool, which a busy machine delays. */
  const fsyncsHeld = async (n: number) => {
    const end = Date.now() + 10_000;
    while (held.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  };

  it('commits a second group during the first one\'s fsync and answers each only after its own, in order', async () => {
    const file = path.join(tempDir('wal-pipeline-'), 'queue.db');
    const store = new JobStore(file);
    const reader = new Database(file, { readonly: true });
    const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM bus_jobs').get() as { n: number }).n;
    try {
      const answered: string[] = [];
      const first = store.later(() => store.insert('sms', Buffer.from('{}'), {}, 'm1', 1, 0)).then(() => answered.push('first'));
      await fsyncsHeld(1);
      expect(held).toHaveLength(1);
      const second = store.later(() => store.insert('sms', Buffer.from('{}'), {}, 'm2', 1, 0)).then(() => answered.push('second'));
      await fsyncsHeld(2);
      // The second group is committed (another connection sees it) while the first fsync still runs.
      expect(held).toHaveLength(2);
      expect(count()).toBe(2);
      expect(answered).toEqual([]);
      // The second fsync ends first: its caller still waits for the first group to be answered.
      held[1]();
      for (let i = 0; i < 5; i++) await turn();
      expect(answered).toEqual([]);
      held[0]();
      await Promise.all([first, second]);
      expect(answered).toEqual(['first', 'second']);
    } finally {
      reader.close();
      store.close();
    }
  });
});
