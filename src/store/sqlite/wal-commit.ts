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
  const walFile = `${db.name}-wal`;
  const normal = db.prepare('PRAGMA synchronous = NORMAL');
  const full = db.prepare('PRAGMA synchronous = FULL');
  // The WAL file lives as long as this connection is open (SQLite removes it only when the last one closes).
  let handle: Promise<fsp.FileHandle> | undefined;
  /** The last fsync asked for: a close waits for it before closing the handle. */
  let last: Promise<unknown> = Promise.resolve();
  const sync = async (): Promise<void> => {
    handle ??= fsp.open(walFile, 'r+');
    const done = handle.then((h) => h.sync());
    last = done.catch(() => undefined);
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
      normal.run();
      let out: T;
      try {
        out = db.transaction(fn).immediate();
      } finally {
        full.run();
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
