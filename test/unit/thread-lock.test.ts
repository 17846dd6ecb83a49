// The SQLite files' write lock shared by `herald all`'s threads: a thread that ends while holding it
// (killed mid-commit, out of memory) does not leave the others waiting on it at every commit.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { releaseThreadLocksOf, shareThreadLocks, threadLockFor } from '../../src/store/sqlite/thread-lock';

it('is free again once the thread holding it has ended', async () => {
  const file = path.join(__dirname, 'no-such-dir', 'herald.db');
  const locks = shareThreadLocks([file]);
  const entry = path.join(__dirname, '..', '..', 'src', 'store', 'sqlite', 'thread-lock.ts');
  const worker = new Worker(
    `require('tsx/cjs');
     const { workerData } = require('node:worker_threads');
     const { adoptThreadLocks, threadLockFor } = require(${JSON.stringify(entry)});
     adoptThreadLocks(workerData.locks);
     // Takes the lock and ends without giving it back.
     threadLockFor(workerData.file).acquire().then((held) => process.exit(held ? 0 : 1));`,
    { eval: true, workerData: { locks, file } },
  );
  const id = worker.threadId;
  expect(await new Promise((resolve) => worker.once('exit', resolve))).toBe(0);
  releaseThreadLocksOf(id);
  const lock = threadLockFor(file)!;
  expect(await lock.acquire()).toBe(true);
  lock.release();
});
