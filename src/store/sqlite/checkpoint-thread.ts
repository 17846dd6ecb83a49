// Entry of the SQLite checkpoint thread (checkpoint.ts starts it): one connection per file, opened
// once the file has a WAL. Every intervalMs it looks at each WAL file's size; one that holds 1,000
// frames (SQLite's own auto-checkpoint), or that went quiet with frames not checkpointed yet, is
// checkpointed in two passes. PASSIVE first copies what no reader still needs into the database file
// while the other threads go on committing (the bulk of the copy and both fsyncs). TRUNCATE then,
// holding the process's write lock of the file (thread-lock.ts: the other threads' group commits
// wait for it without blocking their event loops), copies the few frames committed meanwhile and
// empties the WAL file (a reader still on the WAL: it gives up at once, next round tries again): the
// next commit starts it again from its beginning (each start costs that commit one fsync of the
// WAL's header, so a WAL is started again only as often as SQLite would), and its size counts the
// frames written since. An idle file is not touched: no checkpoint, no fsync. On
// `stop` the connections close (the last connection of a file to close checkpoints it and removes its WAL).
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointThreadData } from './checkpoint';
import { adoptThreadLocks, threadLockFor, type ThreadLock } from './thread-lock';

/** A WAL this long is checkpointed and emptied (SQLite's own auto-checkpoint: 1,000 pages). */
const RESTART_FRAMES = 1000;

const { files, intervalMs, locks } = workerData as CheckpointThreadData;
adoptThreadLocks(locks);

interface Watched {
  file: string;
  lock: ThreadLock | undefined;
  db?: Database.Database;
  passive?: Database.Statement;
  truncate?: Database.Statement;
  /** Bytes a frame of its WAL takes (a page and its header). */
  frameBytes?: number;
  /** The WAL file's size and modification time at the last look, and after the last checkpoint. */
  looked?: string;
  checkpointed?: string;
}

const watched: Watched[] = files.map((file) => ({ file, lock: threadLockFor(file) }));

function walStat(file: string): { size: number; state: string } | undefined {
  const st = fs.statSync(`${file}-wal`, { bigint: true, throwIfNoEntry: false });
  return st ? { size: Number(st.size), state: `${st.size}:${st.mtimeNs}` } : undefined;
}

/**
 * Checkpoints `w` once its WAL holds RESTART_FRAMES (as SQLite's own auto-checkpoint would), or once it
 * is quiet (nothing committed since the last look) with frames not checkpointed yet.
 */
async function look(w: Watched): Promise<void> {
  const wal = walStat(w.file);
  if (!wal) return;
  const quiet = wal.state === w.looked;
  w.looked = wal.state;
  if (wal.state === w.checkpointed) return;
  if (!w.db) {
    const db = new Database(w.file, { fileMustExist: true });
    // No busy wait: TRUNCATE runs holding the process's write lock, and a reader still on the WAL (a long read, an outside
    // process's snapshot) or a writer of another process would hold every group commit of the process with it (up to the
    // whole timeout, round after round). It gives up at once instead; the PASSIVE pass has copied what it could, SQLite
    // starts the WAL again from its beginning by itself, and the next round tries again.
    db.pragma('busy_timeout = 0');
    try {
      w.passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
      w.truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
      w.frameBytes = Number(db.pragma('page_size', { simple: true })) + 24;
    } catch (e) {
      // Not usable (not a database, a file being replaced): opened again at the next look.
      db.close();
      throw e;
    }
    w.db = db;
  }
  if (wal.size < RESTART_FRAMES * w.frameBytes! && !quiet) return;
  // The bulk of the copy and its two fsyncs while the other threads go on committing.
  w.passive!.run();
  const held = w.lock ? await w.lock.acquire() : false;
  try {
    // The frames committed meanwhile; then the WAL file is emptied, so its size counts the frames written since.
    const done = w.truncate!.get() as { busy: number };
    if (done.busy === 0) w.checkpointed = w.looked = walStat(w.file)?.state;
  } finally {
    if (held) w.lock!.release();
  }
}

let stopped = false;
let running = false;
let round: Promise<void> = Promise.resolve();
/** Files whose failure was told: a failure that lasts is told once, not every round. */
const told = new Set<string>();
const tick = async (): Promise<void> => {
  for (const w of watched) {
    if (stopped) return;
    try {
      await look(w);
      told.delete(w.file);
    } catch (e) {
      // A busy or vanished file: tried again at the next look (the other connections' fallback bounds the WAL meanwhile).
      w.checkpointed = undefined;
      if (!told.has(w.file)) parentPort!.postMessage({ failed: w.file, error: (e as Error).message });
      told.add(w.file);
    }
  }
};
// A round still running (a slow disk) is not queued behind: the next look comes after it.
const timer = setInterval(() => {
  if (running) return;
  running = true;
  round = tick().finally(() => (running = false));
}, intervalMs);

parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  stopped = true;
  clearInterval(timer);
  void round.then(() => {
    for (const w of watched) if (w.db?.open) w.db.close();
    parentPort!.close();
  });
});
