// A group commit on SQLite in WAL mode whose fsync does not block the event loop. With
// synchronous=FULL, COMMIT writes the transaction's frames to the WAL file and fsyncs it, and
// better-sqlite3 waits for that disk flush (~4 ms here) on the main thread, where every HTTP request,
// fan-out and send of the process waits with it. Here the group's transaction commits with
// synchronous=NORMAL (the frames reach the WAL file, no fsync), then the WAL file is fsynced on
// libuv's thread pool, and only then are the group's callers answered: what a caller is told is
// stored is exactly as durable as with FULL (a commit is durable once its WAL frames are on disk;
// a checkpoint in NORMAL mode fsyncs the WAL before and the database file after copying). Writes
// outside a group keep FULL. Other readers may see a group's rows a few ms before it is durable;
// nobody is told it is stored before then.
import fsp from 'node:fs/promises';
import type Database from 'better-sqlite3';
import type { Outcome } from '../group-commit';
import { threadLockFor } from './thread-lock';

export interface WalCommitter {
  /** Runs `fn` in one BEGIN IMMEDIATE transaction; resolves with its result once the commit is on disk. */
  commit<T>(fn: () => T): Promise<T>;
  /** Closes the WAL file handle (the connection's owner closes the connection). */
  close(): void;
}

export function walCommitter(db: Database.Database): WalCommitter {
  const wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal' && !db.memory;
  if (!wal) {
    // In memory, or a journal mode other than WAL: the commit itself is as durable as it gets.
    return { commit: async (fn) => db.transaction(fn).immediate(), close: () => undefined };
  }
  // Other threads of this process writing the same file: their turn is awaited, not slept through (thread-lock.ts).
  const lock = threadLockFor(db.name);
  const walFile = `${db.name}-wal`;
  const normal = db.prepare('PRAGMA synchronous = NORMAL');
  const full = db.prepare('PRAGMA synchronous = FULL');
  // The WAL file lives as long as this connection is open (SQLite removes it only when the last one closes).
  let handle: Promise<fsp.FileHandle> | undefined;
  /** Every fsync asked for so far, settled: a commit is answered after the ones before it, a close waits for them all. */
  let last: Promise<unknown> = Promise.resolve();
  const sync = async (): Promise<void> => {
    handle ??= fsp.open(walFile, 'r+');
    const done = handle.then((h) => h.sync());
    const before = last;
    last = Promise.allSettled([before, done]);
    // Answered in the order committed (a later fsync covers the earlier commits too, but callers see no reordering).
    await before;
    try {
      await done;
    } catch (e) {
      // A handle that failed (or a file made anew) is opened again for the next commit.
      const failed = handle;
      handle = undefined;
      void failed?.then((h) => h.close()).catch(() => undefined);
      throw e;
    }
  };
  return {
    async commit<T>(fn: () => T): Promise<T> {
      const held = lock ? await lock.acquire() : false;
      let out: T;
      try {
        normal.run();
        try {
          out = db.transaction(fn).immediate();
        } finally {
          full.run();
        }
      } finally {
        if (held) lock!.release();
      }
      await sync();
      return out;
    },
    close() {
      const h = handle;
      handle = undefined;
      void last.then(() => h?.then((fh) => fh.close())).catch(() => undefined);
    },
  };
}

export interface Savepoints {
  /** `fn` in a savepoint of the open transaction: if it throws, its writes alone are undone and the error rethrown. */
  one<T>(fn: () => T): T;
  /** Each of `fns` in a savepoint of its own, one outcome each; a lone `fn` runs bare (the whole transaction is its savepoint), its error thrown. */
  each(fns: Array<() => unknown>): Array<Outcome<unknown>>;
}

/**
 * Savepoints through three statements prepared once. better-sqlite3's nested `db.transaction(fn)()`
 * builds its wrapper functions on every call: ~7-14 µs against ~1 µs here, paid by every write of a
 * group commit (and twice by the embedded queue's, a savepoint inside the group's).
 */
export function savepoints(db: Database.Database): Savepoints {
  const begin = db.prepare('SAVEPOINT herald_write');
  const release = db.prepare('RELEASE herald_write');
  const rollback = db.prepare('ROLLBACK TO herald_write');
  const one = <T>(fn: () => T): T => {
    begin.run();
    let value: T;
    try {
      value = fn();
    } catch (e) {
      // A failure that ended the transaction (I/O, a full disk) left no savepoint to go back to.
      if (db.inTransaction) {
        rollback.run();
        release.run();
      }
      throw e;
    }
    release.run();
    return value;
  };
  return {
    one,
    each(fns) {
      // One write alone: if it throws, the caller's transaction is rolled back, which undoes the same.
      if (fns.length === 1) return [{ ok: true, value: fns[0]() }];
      return fns.map((fn): Outcome<unknown> => {
        try {
          return { ok: true, value: one(fn) };
        } catch (error) {
          // The transaction itself ended: a savepoint now would begin one of its own and commit the next writes alone.
          if (!db.inTransaction) throw error;
          return { ok: false, error };
        }
      });
    },
  };
}
