// Programs, event types and users in SQLite.
import type { EventType, Page, PageQuery, Program, User } from '../../domain/types';
import type { EventTypeRepo, ProgramRepo, UserRepo } from '../store';
import { ALWAYS_IMMUTABLE, clampPage, splitPatch } from '../common';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';

const programCodec: TableCodec = {
  table: 'programs',
  columns: { id: 'text', name: 'text', description: 'text', createdAt: 'date', updatedAt: 'date' },
};
const eventTypeCodec: TableCodec = {
  table: 'event_types',
  columns: {
    id: 'text', programId: 'text', name: 'text', description: 'text', templates: 'json', createdAt: 'date', updatedAt: 'date',
  },
};
const userCodec: TableCodec = {
  table: 'users',
  columns: {
    id: 'text', name: 'text', phone: 'text', email: 'text', locale: 'text', timezone: 'text', createdAt: 'date', updatedAt: 'date',
  },
};

/** One page of `codec.table` matching `where`, in `order`, with the total. */
export function pageOf<T>(
  sql: Sql,
  codec: TableCodec,
  where: string,
  params: Record<string, unknown>,
  order: string,
  query: PageQuery,
  decode: (row: Record<string, unknown>) => T = (row) => decodeRow<T>(codec, row),
): Page<T> {
  const { limit, offset } = clampPage(query);
  const w = where ? `WHERE ${where}` : '';
  const total = sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${codec.table} ${w}`, params)!.n;
  const rows = sql.all(`SELECT * FROM ${codec.table} ${w} ORDER BY ${order} LIMIT @limit OFFSET @offset`, {
    ...params,
    limit,
    offset,
  });
  return { items: rows.map(decode), total, limit, offset };
}

/** Applies a patch to the rows matching `where` and reads the first back (null when none matched). */
export function patchRow<T>(
  sql: Sql,
  codec: TableCodec,
  where: string,
  params: Record<string, unknown>,
  patch: object,
  immutable: readonly string[] = ALWAYS_IMMUTABLE,
): T | null {
  const { set, unset } = splitPatch(patch, immutable);
  const fields: Record<string, unknown> = { ...set, updatedAt: new Date() };
  for (const k of unset) fields[k] = undefined;
  const clause = setClause(codec, fields);
  return sql.tx(() => {
    const res = sql.run(`UPDATE ${codec.table} SET ${clause.sql} WHERE ${where}`, { ...params, ...clause.params });
    if (res.changes === 0) return null;
    const row = sql.get(`SELECT * FROM ${codec.table} WHERE ${where}`, params);
    return row ? decodeRow<T>(codec, row) : null;
  });
}

export function insertRow<T>(sql: Sql, codec: TableCodec, rec: object, extra: Record<string, unknown> = {}): T {
  const now = new Date();
  const full = { ...rec, createdAt: now, updatedAt: now } as Record<string, unknown>;
  sql.run(insertSql(codec, Object.keys(extra)), { ...encodeRecord(codec, full), ...extra });
  return decodeRow<T>(codec, encodeRecord(codec, full));
}

export function programRepo(sql: Sql): ProgramRepo {
  return {
    async create(p) {
      return insertRow<Program>(sql, programCodec, p);
    },
    async get(id) {
      const row = sql.get('SELECT * FROM programs WHERE "id" = @id', { id });
      return row ? decodeRow<Program>(programCodec, row) : null;
    },
    async update(id, patch) {
      return patchRow<Program>(sql, programCodec, '"id" = @id', { id }, patch);
    },
    async delete(id) {
      return sql.tx(() => {
        sql.run('DELETE FROM event_types WHERE "programId" = @id', { id });
        sql.run('DELETE FROM subscriptions WHERE "programId" = @id', { id });
        return sql.run('DELETE FROM programs WHERE "id" = @id', { id }).changes > 0;
      });
    },
    async list(q) {
      return pageOf<Program>(sql, programCodec, '', {}, '"id"', q);
    },
  };
}

export function eventTypeRepo(sql: Sql): EventTypeRepo {
  const where = '"programId" = @programId AND "id" = @id';
  return {
    async create(e) {
      return insertRow<EventType>(sql, eventTypeCodec, e);
    },
    async get(programId, id) {
      const row = sql.get(`SELECT * FROM event_types WHERE ${where}`, { programId, id });
      return row ? decodeRow<EventType>(eventTypeCodec, row) : null;
    },
    async update(programId, id, patch) {
      return patchRow<EventType>(sql, eventTypeCodec, where, { programId, id }, patch, [...ALWAYS_IMMUTABLE, 'programId']);
    },
    async delete(programId, id) {
      // Direct subscriptions go with their event type, so a re-created id does not inherit them.
      return sql.tx(() => {
        sql.run('DELETE FROM subscriptions WHERE "programId" = @programId AND "eventTypeId" = @id', { programId, id });
        return sql.run(`DELETE FROM event_types WHERE ${where}`, { programId, id }).changes > 0;
      });
    },
    async list(programId, q) {
      return pageOf<EventType>(sql, eventTypeCodec, '"programId" = @programId', { programId }, '"id"', q);
    },
  };
}

export function userRepo(sql: Sql): UserRepo {
  return {
    async create(u) {
      return insertRow<User>(sql, userCodec, u);
    },
    async get(id) {
      const row = sql.get('SELECT * FROM users WHERE "id" = @id', { id });
      return row ? decodeRow<User>(userCodec, row) : null;
    },
    async update(id, patch) {
      return patchRow<User>(sql, userCodec, '"id" = @id', { id }, patch);
    },
    async delete(id) {
      return sql.tx(() => {
        sql.run('DELETE FROM subscriptions WHERE "userId" = @id', { id });
        return sql.run('DELETE FROM users WHERE "id" = @id', { id }).changes > 0;
      });
    },
    async list(q) {
      return pageOf<User>(sql, userCodec, '', {}, '"id"', q);
    },
  };
}

/** Users by id (any order); ids not found are simply missing. */
export function usersByIds(sql: Sql, ids: string[]): User[] {
  if (ids.length === 0) return [];
  return sql
    .all('SELECT * FROM users WHERE "id" IN (SELECT value FROM json_each(@ids))', { ids: JSON.stringify(ids) })
    .map((r) => decodeRow<User>(userCodec, r));
}
