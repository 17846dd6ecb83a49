// A write lock per SQLite file shared by the threads of one process (`herald all`'s sender threads):
// a group commit takes it before BEGIN IMMEDIATE and gives it back after COMMIT. Without it, a thread
// that meets the other's write lock waits in SQLite's busy handler, which sleeps (1, 2, 5, 10 ... ms)
// with the thread's event loop blocked, and wakes up well after the lock was free. Here it waits
// without blocking (Atomics.waitAsync) and is woken the moment the other thread commits. Other
// processes on the same file still meet SQLite's own lock and busy_timeout.
import path from 'node:path';
import { threadId } from 'node:worker_threads';

export interface ThreadLock {
  /**
   * Resolves true once this thread holds the lock, or false after `STUCK_MS` (a thread that died
   * holding it): the commit then goes ahead on SQLite's own lock, which is what keeps writes safe anyway.
   */
  acquire(): Promise<boolean>;
  /** Gives back a lock `acquire` took. */
  release(): void;
}

/** No commit holds the file this long: past it the holder is gone. */
const STUCK_MS = 10_000;

/** Atomics.waitAsync (Node 16+; in TypeScript's lib from es2024 on). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs?: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

const FREE = 0;
const noop = (): void => undefined;
/** The word holds its holder's thread id + 1 (0: free), so the locks of a thread that ended can be taken back. */
const ME = threadId + 1;
const shared = new Map<string, SharedArrayBuffer>();

/** Makes (or returns) the locks of `files` in this thread, to hand to the threads it starts (adoptThreadLocks). */
export function shareThreadLocks(files: string[]): Record<string, SharedArrayBuffer> {
  const out: Record<string, SharedArrayBuffer> = {};
  for (const f of files) {
    const key = path.resolve(f);
    let sab = shared.get(key);
    if (!sab) shared.set(key, (sab = new SharedArrayBuffer(4)));
    out[key] = sab;
  }
  return out;
}

/** In a started thread: the locks its parent made (before the files are opened). */
export function adoptThreadLocks(locks: Record<string, SharedArrayBuffer>): void {
  for (const [file, sab] of Object.entries(locks)) shared.set(file, sab);
}

/** The lock of `file` when threads of this process share it; undefined otherwise. */
export function threadLockFor(file: string): ThreadLock | undefined {
  const sab = shared.get(path.resolve(file));
  if (!sab) return undefined;
  const word = new Int32Array(sab);
  return {
    async acquire() {
      let holder = Atomics.compareExchange(word, 0, FREE, ME);
      if (holder === FREE) return true;
      const deadline = Date.now() + STUCK_MS;
      // Atomics.waitAsync does not keep the event loop alive: waiting on a thread that does not either (the checkpoint
      // thread is unreferenced), a commit with nothing else pending (a stop's last writes) would see the process end under it.
      const alive = setTimeout(noop, STUCK_MS);
      try {
        for (; holder !== FREE; holder = Atomics.compareExchange(word, 0, FREE, ME)) {
          const left = deadline - Date.now();
          if (left <= 0) return false;
          const w = waitAsync(word, 0, holder, left);
          if (w.async) await w.value;
        }
        return true;
      } finally {
        clearTimeout(alive);
      }
    },
    release() {
      if (Atomics.compareExchange(word, 0, ME, FREE) === ME) Atomics.notify(word, 0);
    },
  };
}

/**
 * Frees the locks a thread that has ended still held (it died between BEGIN and COMMIT): without it,
 * every commit of the other threads would wait STUCK_MS first. Its SQLite connection is gone with it.
 */
export function releaseThreadLocksOf(endedThreadId: number): void {
  const holder = endedThreadId + 1;
  for (const sab of shared.values()) {
    const word = new Int32Array(sab);
    if (Atomics.compareExchange(word, 0, holder, FREE) === holder) Atomics.notify(word, 0);
  }
}
