// A thin layer over better-sqlite3: cached statements, typed column codecs, error mapping.
import type Database from 'better-sqlite3';
import { ConflictError, HeraldError, StoreUnavailableError } from '../../domain/errors';
import { groupCommit, type Outcome } from '../group-commit';
import { savepoints, walCommitter, type Savepoints, type WalCommitter } from './wal-commit';

/** How a record field is kept in its column. */
export type ColumnKind = 'text' | 'int' | 'bool' | 'date' | 'json';

export interface TableCodec {
  table: string;
  columns: Readonly<Record<string, ColumnKind>>;
  /** Turns parsed JSON back into the record's shape (e.g. ISO strings into Dates). */
  revive?: Readonly<Record<string, (v: any) => unknown>>;
  /**
   * The empty record a row is decoded into (default `{}`). A table with more than ~16 columns needs one
   * made with room for them (store/message-record.ts): `{}` filled by keyed stores becomes a dictionary.
   */
  shell?: () => Record<string, unknown>;
}

export function q(name: string): string {
  return `"${name}"`;
}

export function encodeValue(kind: ColumnKind, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (kind) {
    case 'date':
      return (v instanceof Date ? v : new Date(v as string)).getTime();
    case 'bool':
      return v ? 1 : 0;
    case 'json':
      return JSON.stringify(v);
    default:
      return v;
  }
}

/** Named parameters for every column of the codec (absent fields become NULL). */
export function encodeRecord(codec: TableCodec, rec: object): Record<string, unknown> {
  const src = rec as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [col, kind] of Object.entries(codec.columns)) out[col] = encodeValue(kind, src[col]);
  return out;
}

/** A codec's columns as a list, made once per codec (rows are decoded by the hundred). */
const columnLists = new WeakMap<TableCodec, Array<[string, ColumnKind, ((v: any) => unknown) | undefined]>>();

function columnList(codec: TableCodec): Array<[string, ColumnKind, ((v: any) => unknown) | undefined]> {
  let list = columnLists.get(codec);
  if (!list) {
    list = Object.entries(codec.columns).map(([col, kind]) => [col, kind, codec.revive?.[col]]);
    columnLists.set(codec, list);
  }
  return list;
}

/** One stored column value as the record holds it (NULLs are left out by the callers). */
function decodeValue(kind: ColumnKind, revive: ((v: any) => unknown) | undefined, v: unknown): unknown {
  if (kind === 'date') return new Date(v as number);
  if (kind === 'bool') return v === 1 || v === true;
  if (kind !== 'json') return v;
  const parsed = JSON.parse(v as string);
  return revive ? revive(parsed) : parsed;
}

/** The record a row stands for: NULL columns are absent fields, never null. */
export function decodeRow<T>(codec: TableCodec, row: Record<string, unknown>): T {
  const out: Record<string, unknown> = codec.shell ? codec.shell() : {};
  const list = columnList(codec);
  for (let i = 0; i < list.length; i++) {
    const [col, kind, revive] = list[i];
    const v = row[col];
    if (v !== null && v !== undefined) out[col] = decodeValue(kind, revive, v);
  }
  return out as T;
}

/** Where each codec column sits in a raw statement's rows (its result columns, found once per statement). */
type RawPlan = Array<[index: number, col: string, kind: ColumnKind, revive: ((v: any) => unknown) | undefined]>;
const rawPlans = new WeakMap<Database.Statement, RawPlan>();

function rawPlan(codec: TableCodec, stmt: Database.Statement): RawPlan {
  let plan = rawPlans.get(stmt);
  if (!plan) {
    const at = new Map(stmt.columns().map((c, i) => [c.name, i]));
    plan = columnList(codec).flatMap(([col, kind, revive]): RawPlan => (at.has(col) ? [[at.get(col)!, col, kind, revive]] : []));
    rawPlans.set(stmt, plan);
  }
  return plan;
}

/** `decodeRow` of a raw row (an array in the statement's column order). */
function decodeRaw<T>(codec: TableCodec, plan: RawPlan, row: unknown[]): T {
  const out: Record<string, unknown> = codec.shell ? codec.shell() : {};
  for (let i = 0; i < plan.length; i++) {
    const [index, col, kind, revive] = plan[i];
    const v = row[index];
    if (v !== null && v !== undefined) out[col] = decodeValue(kind, revive, v);
  }
  return out as T;
}

export function insertSql(codec: TableCodec, extra: string[] = []): string {
  const cols = [...Object.keys(codec.columns), ...extra];
  return `INSERT INTO ${codec.table} (${cols.map(q).join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`;
}

/** `"a" = @set_a, ...` for the given fields, with their parameters (undefined clears the column). */
export function setClause(codec: TableCodec, fields: Record<string, unknown>): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    const kind = codec.columns[k];
    if (!kind) continue;
    parts.push(`${q(k)} = @set_${k}`);
    params[`set_${k}`] = encodeValue(kind, v);
  }
  return { sql: parts.join(', '), params };
}

const CONNECTION_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_READONLY']);

/** SQLite failures as Herald errors: constraint violations are conflicts, I/O and locks unavailability. */
export function mapSqliteError(e: unknown): unknown {
  if (e instanceof HeraldError) return e;
  const err = e as { code?: string; message?: string };
  const code = typeof err?.code === 'string' ? err.code : '';
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new ConflictError('a record with the same key already exists');
  }
  if ([...CONNECTION_CODES].some((c) => code.startsWith(c))) return new StoreUnavailableError(`sqlite: ${err.message}`);
  if (e instanceof TypeError && /database connection is not open/i.test(e.message)) {
    return new StoreUnavailableError('sqlite store is closed');
  }
  return e;
}

/** Statement cache over one connection; the connection is opened by the store's connect(). */
export class Sql {
  db: Database.Database | null = null;
  private readonly cache = new Map<string, Database.Statement>();

  private conn(): Database.Database {
    if (!this.db || !this.db.open) throw new StoreUnavailableError('sqlite store is not connected');
    return this.db;
  }

  stmt(sql: string): Database.Statement {
    const conn = this.conn();
    let s = this.cache.get(sql);
    if (!s) {
      // Dynamic SQL (SET clauses) has few shapes; a cap keeps a pathological caller bounded.
      if (this.cache.size > 500) this.cache.clear();
      s = conn.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  get<T = Record<string, unknown>>(sql: string, params: unknown = {}): T | undefined {
    return this.stmt(sql).get(params as object) as T | undefined;
  }

  all<T = Record<string, unknown>>(sql: string, params: unknown = {}): T[] {
    return this.stmt(sql).all(params as object) as T[];
  }

  /**
   * `all`, each row decoded with `codec` from the array better-sqlite3 gives in raw mode: no object
   * with a property per column made first (~3 µs a row of messages, read by the hundred).
   */
  allDecoded<T>(codec: TableCodec, sql: string, params: unknown = {}): T[] {
    const stmt = this.rawStmt(sql);
    const plan = rawPlan(codec, stmt);
    return (stmt.all(params as object) as unknown[][]).map((row) => decodeRaw<T>(codec, plan, row));
  }

  /** `get`, decoded as `allDecoded` does. */
  getDecoded<T>(codec: TableCodec, sql: string, params: unknown = {}): T | undefined {
    const stmt = this.rawStmt(sql);
    const row = stmt.get(params as object) as unknown[] | undefined;
    return row ? decodeRaw<T>(codec, rawPlan(codec, stmt), row) : undefined;
  }

  /** A statement in raw mode (its own, apart from the cached one of the same text, which gives objects). */
  private rawStmt(sql: string): Database.Statement {
    const conn = this.conn();
    let s = this.rawCache.get(sql);
    if (!s) {
      if (this.rawCache.size > 100) this.rawCache.clear();
      s = conn.prepare(sql).raw(true);
      this.rawCache.set(sql, s);
    }
    return s;
  }

  private readonly rawCache = new Map<string, Database.Statement>();

  run(sql: string, params: unknown = {}): Database.RunResult {
    return this.stmt(sql).run(params as object);
  }

  /** A write transaction taken up front (BEGIN IMMEDIATE), so read-then-write is atomic across processes. */
  tx<T>(fn: () => T): T {
    return this.conn().transaction(fn).immediate();
  }

  /**
   * `tx` shared with the other writes made in the same turn of the event loop (group commit): one
   * BEGIN IMMEDIATE ... COMMIT, so one fsync, for all of them. Each `fn` runs in a savepoint of its
   * own: one that throws is undone alone and its caller gets the error; the others commit. Resolves
   * once the commit holding it is durable.
   */
  group<T>(fn: () => T): Promise<T> {
    return this.grouped(fn) as Promise<T>;
  }

  private committer: { db: Database.Database; wal: WalCommitter; savepoints: Savepoints } | undefined;

  /** The connection's committer and savepoints (made again when the store reconnects). */
  private committed(): { wal: WalCommitter; savepoints: Savepoints } {
    const conn = this.conn();
    if (this.committer?.db !== conn) {
      this.committer?.wal.close();
      this.committer = { db: conn, wal: walCommitter(conn), savepoints: savepoints(conn) };
    }
    return this.committer;
  }

  private readonly grouped = groupCommit(
    async (fns: Array<() => unknown>): Promise<Array<Outcome<unknown>>> => {
      const { wal, savepoints: sp } = this.committed();
      // The fsync runs off the event loop; the callers are answered once it is done (wal-commit.ts).
      // Each fn in a savepoint of the group's transaction (a lone one in the transaction itself).
      return wal.commit(() => sp.each(fns));
    },
    { maxInFlight: 2, maxBatch: 1000 },
  );

  close(): void {
    this.cache.clear();
    this.rawCache.clear();
    this.committer?.wal.close();
    this.committer = undefined;
    if (this.db?.open) this.db.close();
    this.db = null;
  }
}
