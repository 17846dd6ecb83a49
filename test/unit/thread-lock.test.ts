// The SQLite files' write lock shared by `herald all`'s threads: a thread that ends while holding it
// (killed mid-commit, out of memory) does not leave the others waiting on it at every commit.
import { spawnSync } from 'node:child_process';
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

it('keeps the process alive while a commit waits for it: a holder that does not (the unreferenced checkpoint thread) does not let the process end under the waiting commit', () => {
  const entry = path.join(__dirname, '..', '..', 'src', 'store', 'sqlite', 'thread-lock.ts');
  const script = `
    const { Worker } = require('node:worker_threads');
    const { shareThreadLocks, threadLockFor } = require(${JSON.stringify(entry)});
    const file = ${JSON.stringify(path.join(__dirname, 'no-such-dir', 'herald.db'))};
    const locks = shareThreadLocks([file]);
    const worker = new Worker(\`require('tsx/cjs');
      const { workerData } = require('node:worker_threads');
      const { adoptThreadLocks, threadLockFor } = require(${JSON.stringify(entry)});
      adoptThreadLocks(workerData.locks);
      const lock = threadLockFor(workerData.file);
      lock.acquire().then(() => setTimeout(() => lock.release(), 300));\`, { eval: true, workerData: { locks, file } });
    worker.unref();
    // Until the thread holds it; then this thread's commit waits for it, with nothing else to keep the process alive.
    const word = new Int32Array(Object.values(locks)[0]);
    for (let i = 0; i < 4000 && Atomics.load(word, 0) === 0; i++) Atomics.wait(word, 0, 0, 5);
    threadLockFor(file).acquire().then((held) => console.log('acquired ' + held));`;
  const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(run.stdout.trim()).toBe('acquired true');
});
