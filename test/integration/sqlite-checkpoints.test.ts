// SQLite WAL checkpoints run on a thread of their own in a running embedded Herald
// (src/store/sqlite/checkpoint.ts), not inside the commits of the main and sender threads; the
// committing connections keep SQLite's auto-checkpoint only as a fallback at a larger WAL, so the WAL
// stays bounded when that thread is gone.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { JobStore } from '../../src/bus/embedded/job-store';
import { checkpointElsewhere, startCheckpointer } from '../../src/store/sqlite/checkpoint';
import { shareThreadLocks } from '../../src/store/sqlite/thread-lock';
import { openDatabase } from '../../src/store/sqlite/schema';
import type { RunningHerald } from '../../src/runtime';
import { eventually, startTestHerald, tempDir, testConfig } from '../support/herald';

const PAGE = 4096;
/** Frames the WAL file of `file` has room for (it grows to its largest content and is then reused from its start). */
const walPages = (file: string): number => Math.floor((fs.statSync(`${file}-wal`).size - 32) / (PAGE + 24));

/** A copy of the database file alone (no WAL), as a file-level backup would take it: what was checkpointed. */
function workspacesInFileAlone(file: string): number {
  const copy = path.join(tempDir('ckpt-copy-'), 'copy.db');
  fs.copyFileSync(file, copy);
  const db = new Database(copy);
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM workspaces').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('sqlite checkpoints', () => {
  let herald: RunningHerald | undefined;
  afterEach(async () => {
    await herald?.stop();
    herald = undefined;
  });

  test('a running embedded Herald checkpoints its store while it runs (a copy of herald.db alone is up to date), and leaves no WAL once stopped', async () => {
    const config = testConfig('embedded');
    herald = await startTestHerald(config);
    const file = path.join(config.dataDir, 'herald.db');
    // A few pages of writes at start-up (the schema, the default workspace): far below SQLite's 1,000-page auto-checkpoint.
    expect(walPages(file)).toBeLessThan(1000);
    await eventually('the default workspace in herald.db itself', () => workspacesInFileAlone(file) === 1, 10_000);
    await herald.stop();
    herald = undefined;
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    expect(fs.existsSync(path.join(config.dataDir, 'queue.db-wal'))).toBe(false);
  });

  const BLOB = Buffer.alloc(40 * 1024, 7); // ~10 pages a row
  const FALLBACK = 2000;

  test('the store: with its checkpoints elsewhere and no thread running them, commits checkpoint only past the fallback WAL size', () => {
    const file = path.join(tempDir('ckpt-store-'), 'herald.db');
    const undo = checkpointElsewhere([file], FALLBACK);
    const db = openDatabase(file);
    try {
      db.pragma('synchronous = OFF'); // the test's speed only
      db.exec('CREATE TABLE filler (b BLOB)');
      const insert = db.prepare('INSERT INTO filler (b) VALUES (?)');
      for (let i = 0; i < 150; i++) insert.run(BLOB);
      // SQLite's default would have checkpointed (and reused the WAL) at 1,000 pages.
      expect(walPages(file)).toBeGreaterThan(1200);
      for (let i = 0; i < 600; i++) insert.run(BLOB);
      expect(walPages(file)).toBeLessThan(FALLBACK + 50);
    } finally {
      db.close();
      undo();
    }
  });

  test('the store: a WAL that grew past the fallback behind a long read is cut back once that read ends', () => {
    const file = path.join(tempDir('ckpt-long-read-'), 'herald.db');
    const undo = checkpointElsewhere([file], FALLBACK);
    const db = openDatabase(file);
    const reader = new Database(file);
    try {
      db.pragma('synchronous = OFF'); // the test's speed only
      db.exec('CREATE TABLE filler (b BLOB)');
      const insert = db.prepare('INSERT INTO filler (b) VALUES (?)');
      // A read transaction (an export walking a table) keeps its snapshot: no checkpoint can pass it.
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM filler').get();
      for (let i = 0; i < 400; i++) insert.run(BLOB);
      expect(walPages(file)).toBeGreaterThan(FALLBACK + 1000);
      reader.exec('COMMIT');
      for (let i = 0; i < 300; i++) insert.run(BLOB);
      expect(walPages(file)).toBeLessThan(FALLBACK + 50);
    } finally {
      reader.close();
      db.close();
      undo();
    }
  });

  test('the embedded queue: the same fallback', async () => {
    const file = path.join(tempDir('ckpt-queue-'), 'queue.db');
    const undo = checkpointElsewhere([file], FALLBACK);
    const jobs = new JobStore(file);
    try {
      // Group commits of 10 jobs (~100 pages each): one fsync each.
      const round = () => Promise.all(Array.from({ length: 10 }, () => jobs.later(() => jobs.insert('sms', BLOB, {}, undefined, 1, 0))));
      for (let i = 0; i < 15; i++) await round();
      expect(walPages(file)).toBeGreaterThan(1200);
      for (let i = 0; i < 60; i++) await round();
      expect(walPages(file)).toBeLessThan(FALLBACK + 150);
    } finally {
      jobs.close();
      undo();
    }
  });

  test('an outside reader holding a snapshot does not keep the process\'s write lock taken: the checkpoint thread gives up on emptying the WAL instead of waiting under it, and empties it once the reader ends', async () => {
    const file = path.join(tempDir('ckpt-reader-'), 'herald.db');
    const undo = checkpointElsewhere([file]);
    const db = openDatabase(file);
    const reader = new Database(file);
    // The lock the process's group commits take (thread-lock.ts), shared with the checkpoint thread.
    const word = new Int32Array(Object.values(shareThreadLocks([file]))[0]);
    const checkpointer = startCheckpointer([file], { intervalMs: 20, onError: () => undefined });
    try {
      db.pragma('synchronous = OFF'); // the test's speed only
      db.exec('CREATE TABLE filler (b BLOB)');
      const insert = db.prepare('INSERT INTO filler (b) VALUES (?)');
      for (let i = 0; i < 150; i++) insert.run(BLOB);
      // A reader of another process (a backup tool, a CLI export) keeps a snapshot that includes the WAL: no TRUNCATE can pass it.
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM filler').get();
      // The thread has copied what it could (PASSIVE): from here on each of its rounds tries to empty the WAL.
      await eventually('herald.db holds the rows', () => fs.statSync(file).size > 150 * BLOB.length, 20_000);
      let held = 0;
      const samples = 200;
      for (let i = 0; i < samples; i++) {
        await new Promise((r) => setTimeout(r, 2));
        if (Atomics.load(word, 0) !== 0) held++;
      }
      // Waiting for the reader under the lock, every group commit of the process would wait with it (~9 samples in 10).
      expect(held).toBeLessThan(samples / 5);
      reader.exec('COMMIT');
      await eventually('the WAL emptied once the reader is gone', () => fs.statSync(`${file}-wal`).size === 0, 20_000);
    } finally {
      if (reader.inTransaction) reader.exec('COMMIT');
      await checkpointer.stop();
      reader.close();
      db.close();
      undo();
    }
  });

  test('files opened without a checkpoint thread (the CLI, scripts) keep SQLite default auto-checkpoint', () => {
    const file = path.join(tempDir('ckpt-default-'), 'herald.db');
    const db = openDatabase(file);
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      db.close();
    }
  });

  test('tells once of a file it cannot checkpoint, not every round', async () => {
    const dir = tempDir('ckpt-bad');
    const file = path.join(dir, 'not-a-database.db');
    fs.writeFileSync(file, Buffer.alloc(8192, 7));
    fs.writeFileSync(`${file}-wal`, Buffer.alloc(8192, 7));
    const failed: string[] = [];
    const checkpointer = startCheckpointer([file], { intervalMs: 20, onError: () => undefined, onFileFailed: (f) => failed.push(f) });
    try {
      await eventually('the failure told', () => failed.length === 1);
      // Ten more rounds, still failing: nothing more is told.
      await new Promise((r) => setTimeout(r, 200));
      expect(failed).toEqual([path.resolve(file)]);
    } finally {
      await checkpointer.stop();
    }
  });
});
