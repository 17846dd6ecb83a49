// Entry of the SQLite checkpoint thread (checkpoint.ts starts it): one connection per file, opened
// once the file has a WAL; every intervalMs, each WAL file that changed since its last checkpoint is
// checkpointed PASSIVE twice. The first copies what no reader still needs into the database file
// while the other threads go on committing (the bulk of the copy and both fsyncs). The second, holding
// the process's write lock of the file (thread-lock.ts: the other threads' group commits wait for it
// without blocking their event loops), copies the few frames committed meanwhile: the WAL is then all
// in the database file, and the next commit starts it again from its beginning instead of growing it
// (SQLite restarts a WAL only when a write begins with every frame checkpointed). An idle file is not
// touched: no checkpoint, no fsync. On `stop` the connections close (the last connection of a file to
// close checkpoints it and removes its WAL).
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointThreadData } from './checkpoint';
import { adoptThreadLocks, threadLockFor, type ThreadLock } from './thread-lock';

const { files, intervalMs, locks } = workerData as CheckpointThreadData;
adoptThreadLocks(locks);

interface Watched {
  file: string;
  lock: ThreadLock | undefined;
  db?: Database.Database;
  checkpoint?: Database.Statement;
  /** The WAL file's size and modification time at the last checkpoint. */
  seen?: string;
}

const watched: Watched[] = files.map((file) => ({ file, lock: threadLockFor(file) }));

/** Size and modification time of `file`'s WAL, or undefined when it has none (not opened yet, or closed by everyone). */
function walState(file: string): string | undefined {
  const st = fs.statSync(`${file}-wal`, { bigint: true, throwIfNoEntry: false });
  return st ? `${st.size}:${st.mtimeNs}` : undefined;
}

async function checkpoint(w: Watched): Promise<void> {
  const state = walState(w.file);
  if (state === undefined || state === w.seen) return;
  if (!w.db) {
    w.db = new Database(w.file, { fileMustExist: true });
    // This thread blocks nobody while it waits; a PASSIVE checkpoint itself never waits for a lock.
    w.db.pragma('busy_timeout = 1000');
    w.checkpoint = w.db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  }
  // Taken before: a commit made after the checkpoint below changes the WAL again, and is checkpointed at the next look.
  w.seen = state;
  w.checkpoint!.run();
  const held = w.lock ? await w.lock.acquire() : false;
  try {
    w.checkpoint!.run();
  } finally {
    if (held) w.lock!.release();
  }
}

let stopped = false;
let round: Promise<void> = Promise.resolve();
const tick = async (): Promise<void> => {
  for (const w of watched) {
    if (stopped) return;
    try {
      await checkpoint(w);
    } catch {
      // A busy or vanished file: tried again at the next look (the other connections' fallback bounds the WAL meanwhile).
      w.seen = undefined;
    }
  }
};
const timer = setInterval(() => void (round = round.then(tick)), intervalMs);

parentPort!.on('message', (m: unknown) => {
  if (m !== 'stop') return;
  stopped = true;
  clearInterval(timer);
  void round.then(() => {
    for (const w of watched) if (w.db?.open) w.db.close();
    parentPort!.close();
  });
});
