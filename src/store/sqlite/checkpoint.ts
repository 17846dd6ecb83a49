// WAL checkpoints off the event loops. SQLite's auto-checkpoint runs inside whichever COMMIT takes
// the WAL past 1,000 pages, on the thread that commits, with two fsyncs (the WAL before copying, the
// database file after): in `herald all` that is the sender thread or the main thread, stalled for the
// copy and both disk flushes (a claim + record took 39-43 µs a message against 21-31 without them).
// A long-running Herald instead checkpoints its SQLite files on a thread of its own that does nothing
// else (checkpoint-thread.ts): every 250 ms it looks at each WAL file's size and, once one holds 1,000
// frames (or went quiet with frames left), runs `PRAGMA wal_checkpoint(PASSIVE)`, which copies what no
// reader still needs without taking the write lock, so commits go on meanwhile; then TRUNCATE holding
// the process's write lock of the file, for the few frames committed meanwhile, which empties the WAL.
// (TRUNCATE also takes SQLite's own write lock for those few ms: a write outside a group commit, rare,
// meets SQLite's busy handler meanwhile.) The connections of a file checkpointed that way keep SQLite's
// auto-checkpoint only as a fallback, at a much larger WAL (FALLBACK_AUTOCHECKPOINT_PAGES): if the
// thread dies or stalls, the WAL still stays bounded. Processes that open a file briefly (the CLI,
// scripts) start no thread and keep SQLite's defaults; the last connection to close a file checkpoints
// it, as before.
import path from 'node:path';
import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { releaseThreadLocksOf, shareThreadLocks } from './thread-lock';

/** SQLite's own default auto-checkpoint (pages of WAL). */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

/**
 * Auto-checkpoint of a file whose checkpoints run on the checkpoint thread: reached only if that thread
 * is gone or stalled (it checkpoints at 1,000 frames), 80 MB of WAL at 4 KB pages.
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 20_000;

/**
 * How often the checkpoint thread looks at the WAL files' sizes: a WAL is checkpointed once it holds
 * 1,000 frames, or once quiet. A 30,000 fan-out writes ~10,000 pages a second to herald.db: up to
 * ~3,500 frames at a look, far below the fallback.
 */
export const CHECKPOINT_INTERVAL_MS = 250;

/** This thread's files whose checkpoints run elsewhere, with their fallback auto-checkpoint (pages). */
const elsewhere = new Map<string, number>();

/**
 * Marks `files` as checkpointed by a checkpoint thread, before their connections are opened: those
 * connections then auto-checkpoint only past `fallbackPages`. Returns the undoing of it.
 */
export function checkpointElsewhere(files: string[], fallbackPages = FALLBACK_AUTOCHECKPOINT_PAGES): () => void {
  const keys = files.map((f) => path.resolve(f));
  for (const k of keys) elsewhere.set(k, fallbackPages);
  return () => keys.forEach((k) => elsewhere.delete(k));
}

/** The files this thread checkpoints elsewhere (handed to the threads it starts), with their fallback. */
export function checkpointedElsewhere(): Record<string, number> {
  return Object.fromEntries(elsewhere);
}

/** In a started thread: its parent's `checkpointedElsewhere()` (before the files are opened). */
export function adoptCheckpointedElsewhere(files: Record<string, number>): void {
  for (const [file, pages] of Object.entries(files)) elsewhere.set(file, pages);
}

/** What a new connection to `file` sets `wal_autocheckpoint` to. */
export function autoCheckpointPages(file: string): number {
  return elsewhere.get(path.resolve(file)) ?? DEFAULT_AUTOCHECKPOINT_PAGES;
}

/**
 * A new WAL connection's checkpointing: SQLite's defaults, or for a file checkpointed elsewhere the
 * fallback auto-checkpoint, and the size its WAL file is cut back to when it starts again from its
 * beginning (a long read can hold a checkpoint back and let the WAL grow past the fallback meanwhile).
 */
export function setCheckpointing(db: Database.Database): void {
  const pages = autoCheckpointPages(db.name);
  if (pages === DEFAULT_AUTOCHECKPOINT_PAGES) return;
  db.pragma(`wal_autocheckpoint = ${pages}`);
  db.pragma(`journal_size_limit = ${pages * Number(db.pragma('page_size', { simple: true }))}`);
}

/** What the checkpoint thread is started with (workerData). */
export interface CheckpointThreadData {
  files: string[];
  intervalMs: number;
  /** The files' write locks shared by the process's threads (thread-lock.ts). */
  locks: Record<string, SharedArrayBuffer>;
}

export interface Checkpointer {
  /** Ends the thread, once its checkpoint in progress is done; closes its connections. */
  stop(): Promise<void>;
}

/** The thread's entry: the compiled JavaScript beside this file, or the .ts file through tsx (npm start, the tests). */
function spawn(data: CheckpointThreadData): Worker {
  // A thread of a few KB of JavaScript: no heap of its own to speak of, and no flag of the process's needed.
  const opts = { workerData: data, name: 'sqlite-checkpoints', stdout: false, stderr: false, resourceLimits: { maxOldGenerationSizeMb: 64 } };
  if (path.extname(__filename) === '.js') return new Worker(path.join(__dirname, 'checkpoint-thread.js'), opts);
  const entry = path.join(__dirname, 'checkpoint-thread.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { ...opts, eval: true });
}

/**
 * Starts the checkpoint thread of `files` (their WAL files may not exist yet). `onError` hears of a
 * thread that failed or ended on its own; the files' connections then fall back to auto-checkpoints.
 * `onFileFailed` hears, once a streak, of a file whose checkpoint failed (tried again each round).
 * The thread never keeps the process alive.
 */
export function startCheckpointer(
  files: string[],
  opts: { intervalMs?: number; onError: (e: Error) => void; onFileFailed?: (file: string, error: string) => void },
): Checkpointer {
  const worker = spawn({ files: files.map((f) => path.resolve(f)), intervalMs: opts.intervalMs ?? CHECKPOINT_INTERVAL_MS, locks: shareThreadLocks(files) });
  worker.unref();
  // threadId reads -1 once the thread has ended.
  const id = worker.threadId;
  let stopping = false;
  let told = false;
  const fail = (e: Error): void => {
    if (stopping || told) return;
    told = true;
    opts.onError(e);
  };
  worker.on('error', fail);
  worker.on('message', (m: { failed?: string; error?: string }) => {
    if (m?.failed) opts.onFileFailed?.(m.failed, m.error ?? '');
  });
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      // A thread that ended between taking a file's write lock and giving it back leaves it free.
      releaseThreadLocksOf(id);
      fail(new Error(`the SQLite checkpoint thread ended (code ${code})`));
      resolve();
    }),
  );
  return {
    async stop() {
      if (!stopping) {
        stopping = true;
        // Held open until the thread has closed its connections (unreferenced, the process could end first).
        worker.ref();
        worker.postMessage('stop');
      }
      await exited;
    },
  };
}
