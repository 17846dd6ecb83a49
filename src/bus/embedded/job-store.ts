// The embedded queue's SQLite tables and statements. Jobs are claimed with a lease (a time
// and a token): only the holder of the current token may ack, retry or dead-letter a job,
// and a job whose lease ran out (its process died) can be claimed again.
import Database from 'better-sqlite3';
import type { QueueName } from '../bus';
import { groupCommit, type Outcome } from '../../store/group-commit';
import { setCheckpointing } from '../../store/sqlite/checkpoint';
import { closeOnThrow } from '../../store/sqlite/close-on-throw';
import { savepoints, walCommitter, type Savepoints, type WalCommitter } from '../../store/sqlite/wal-commit';

export interface JobRow {
  id: number;
  queue: QueueName;
  body: Buffer;
  headers: string;
  message_id: string | null;
  attempt: number;
  available_at: number;
  lease_until: number | null;
  lease_token: string | null;
  /** Times claimed since published or last retried: above 1 means redelivered. */
  deliveries: number;
  created_at: number;
}

export interface DeadRow {
  queue: QueueName;
  body: Buffer;
  headers: string;
  reason: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bus_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  headers TEXT NOT NULL,
  message_id TEXT,
  attempt INTEGER NOT NULL DEFAULT 1,
  available_at INTEGER NOT NULL,
  lease_until INTEGER,
  lease_token TEXT,
  deliveries INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bus_jobs_ready ON bus_jobs (queue, available_at, id);
CREATE TABLE IF NOT EXISTS bus_dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  body BLOB NOT NULL,
  headers TEXT NOT NULL,
  reason TEXT NOT NULL,
  message_id TEXT,
  attempt INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bus_dead_letters_queue ON bus_dead_letters (queue, id);
`;

const READY = `queue = @queue AND available_at <= @now AND (lease_until IS NULL OR lease_until < @now)`;

/** One part of a split job: a retry (`delayMs`) or, with a `reason`, a dead letter. */
export interface JobPart {
  body: Buffer;
  headers: Record<string, unknown>;
  messageId?: string;
  attempt: number;
  delayMs?: number;
  reason?: string;
}

/** The tables, pragmas and statements of a fresh connection. */
function setUp(db: Database.Database) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Checkpoints on the checkpoint thread where one runs (store/sqlite/checkpoint.ts); SQLite's own at a larger WAL as the fallback.
  setCheckpointing(db);
  // Statement journals in memory rather than in a temporary file (durability is the WAL's).
  db.pragma('temp_store = MEMORY');
  // Several processes (or Bus instances) may share the file: wait for the write lock.
  db.pragma('busy_timeout = 5000');
  // A queue touches few pages (claims read the oldest ready jobs, publishes append, acks delete): 2 MB of page cache
  // (SQLite's own default) instead of better-sqlite3's 16 MB, which a fan-out filled on each connection of the file
  // (`herald all`: one per thread) with jobs it never reads again.
  db.pragma('cache_size = -2000');
  db.exec(SCHEMA);
  const stmts = {
    insert: db.prepare(
      `INSERT INTO bus_jobs (queue, body, headers, message_id, attempt, available_at, created_at)
       VALUES (@queue, @body, @headers, @messageId, @attempt, @availableAt, @now)`,
    ),
    claim: db.prepare(
      `UPDATE bus_jobs SET lease_until = @leaseUntil, lease_token = @token, deliveries = deliveries + 1
       WHERE id IN (SELECT id FROM bus_jobs WHERE ${READY} ORDER BY available_at, id LIMIT @limit)
       RETURNING *`,
    ),
    ack: db.prepare(`DELETE FROM bus_jobs WHERE id = ? AND lease_token = ?`),
    retry: db.prepare(
      `UPDATE bus_jobs SET available_at = @availableAt, attempt = attempt + 1, headers = @headers,
         lease_until = NULL, lease_token = NULL, deliveries = 0
       WHERE id = @id AND lease_token = @token`,
    ),
    held: db.prepare(`SELECT * FROM bus_jobs WHERE id = ? AND lease_token = ?`),
    insertDead: db.prepare(
      `INSERT INTO bus_dead_letters (queue, body, headers, reason, message_id, attempt, created_at)
       VALUES (@queue, @body, @headers, @reason, @messageId, @attempt, @now)`,
    ),
    extend: db.prepare(`UPDATE bus_jobs SET lease_until = ? WHERE id = ? AND lease_token = ?`),
    depth: db.prepare(`SELECT COUNT(*) AS n FROM bus_jobs WHERE ${READY}`),
    // A read (no write lock, no commit, no fsync): is there anything a claim would take?
    ready: db.prepare(`SELECT 1 FROM bus_jobs WHERE ${READY} LIMIT 1`).pluck(),
    dead: db.prepare(`SELECT queue, body, headers, reason FROM bus_dead_letters WHERE queue = ? ORDER BY id LIMIT ?`),
  };
  return { stmts, wal: walCommitter(db), savepoints: savepoints(db) };
}

export class JobStore {
  private readonly db: Database.Database;
  private readonly stmts: ReturnType<typeof setUp>['stmts'];

  constructor(file: string) {
    const db = new Database(file);
    this.db = db;
    // A set-up that throws (a busy, foreign or corrupt file) closes the connection: start-up retries must not pile them up.
    const ready = closeOnThrow(db, () => setUp(db));
    this.stmts = ready.stmts;
    this.wal = ready.wal;
    this.savepoints = ready.savepoints;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    this.wal.close();
    if (this.db.open) this.db.close();
  }

  insert(queue: QueueName, body: Buffer, headers: Record<string, unknown>, messageId: string | undefined, attempt: number, delayMs: number): void {
    const now = Date.now();
    this.write(() => this.stmts.insert.run({ queue, body, headers: JSON.stringify(headers), messageId: messageId ?? null, attempt, availableAt: now + Math.max(0, delayMs), now }));
  }

  /** Leases up to `limit` ready jobs of a queue to `token`, oldest first. */
  claim(queue: QueueName, limit: number, token: string, leaseMs: number): JobRow[] {
    const now = Date.now();
    const rows = this.write(() => this.stmts.claim.all({ queue, now, limit, token, leaseUntil: now + leaseMs }) as JobRow[]);
    return rows.sort((a, b) => a.available_at - b.available_at || a.id - b.id);
  }

  /**
   * Whether a claim now would find a job: a read of the latest commit (of any connection), outside
   * any transaction. A claim still re-checks under the write lock, so a stale true only costs a claim.
   */
  hasReady(queue: QueueName): boolean {
    return this.stmts.ready.get({ queue, now: Date.now() }) !== undefined;
  }

  /** False when the lease was lost (the job went to someone else). */
  ack(id: number, token: string): boolean {
    return this.write(() => this.stmts.ack.run(id, token).changes > 0);
  }

  retry(id: number, token: string, delayMs: number, headers: Record<string, unknown>): boolean {
    const availableAt = Date.now() + Math.max(0, delayMs);
    return this.write(() => this.stmts.retry.run({ id, token, availableAt, headers: JSON.stringify(headers) }).changes > 0);
  }

  /** Moves a held job to the dead-letter table, in one transaction. */
  dead(id: number, token: string, reason: string, headers: Record<string, unknown>): boolean {
    return this.writeSeveral(() => {
      const row = this.stmts.held.get(id, token) as JobRow | undefined;
      if (!row) return false;
      this.stmts.insertDead.run({
        queue: row.queue,
        body: row.body,
        headers: JSON.stringify(headers),
        reason,
        messageId: row.message_id,
        attempt: row.attempt,
        now: Date.now(),
      });
      this.stmts.ack.run(id, token);
      return true;
    });
  }

  /**
   * Acks a held job and, in the same transaction, queues its parts: retries as new jobs after
   * their delay, dead ones as dead letters. False (nothing written) when the lease was lost.
   */
  split(id: number, token: string, parts: JobPart[]): boolean {
    return this.writeSeveral(() => {
      const row = this.stmts.held.get(id, token) as JobRow | undefined;
      if (!row) return false;
      const now = Date.now();
      for (const p of parts) {
        const common = { queue: row.queue, body: p.body, headers: JSON.stringify(p.headers), messageId: p.messageId ?? null, attempt: p.attempt, now };
        if (p.reason !== undefined) this.stmts.insertDead.run({ ...common, reason: p.reason });
        else this.stmts.insert.run({ ...common, availableAt: now + Math.max(0, p.delayMs ?? 0) });
      }
      this.stmts.ack.run(id, token);
      return true;
    });
  }

  /** Sets a held job's lease to end at `until` (0: claimable now, as a redelivery). */
  setLease(id: number, token: string, until: number): boolean {
    return this.write(() => this.stmts.extend.run(until, id, token).changes > 0);
  }

  /** BEGIN IMMEDIATE: takes the write lock up front, so a busy file waits (busy_timeout) instead of failing.
   *  Inside a group (below) it runs bare: `fn` is one statement, which SQLite undoes alone if it fails. */
  private write<T>(fn: () => T): T {
    return this.db.inTransaction ? fn() : this.db.transaction(fn).immediate();
  }

  /** `write` of several statements: inside a group, a savepoint, so one that fails leaves none of them behind. */
  private writeSeveral<T>(fn: () => T): T {
    return this.db.inTransaction ? this.savepoints.one(fn) : this.db.transaction(fn).immediate();
  }

  /**
   * Inside a group's write: each of `fns` (writes above) on its own, an outcome each. One that throws left
   * nothing written, so the others go on; a failure that ended the transaction (I/O, a full disk) throws.
   */
  each<T>(fns: Array<() => T>): Array<Outcome<T>> {
    return fns.map((fn): Outcome<T> => {
      try {
        return { ok: true, value: fn() };
      } catch (error) {
        if (!this.db.inTransaction) throw error;
        return { ok: false, error };
      }
    });
  }

  /**
   * Runs `fn` (any of the writes above) in one transaction with the other writes asked for in the
   * same turn of the event loop: one commit, one fsync, for a burst of publishes and settlements.
   * Each `fn` is a savepoint of its own (one that throws is undone alone); resolves once committed.
   */
  later<T>(fn: () => T): Promise<T> {
    return this.grouped(fn) as Promise<T>;
  }

  private readonly wal: WalCommitter;
  private readonly savepoints: Savepoints;

  // The fsync runs off the event loop; the callers are answered once it is done (store/sqlite/wal-commit.ts).
  private readonly grouped = groupCommit(
    async (fns: Array<() => unknown>): Promise<Array<Outcome<unknown>>> =>
      this.wal.commit(() => this.savepoints.each(fns)),
    { maxInFlight: 2, maxBatch: 1000 },
  );

  depth(queue: QueueName): number {
    return (this.stmts.depth.get({ queue, now: Date.now() }) as { n: number }).n;
  }

  deadLetters(queue: QueueName, limit: number): DeadRow[] {
    return this.stmts.dead.all(queue, limit) as DeadRow[];
  }
}
