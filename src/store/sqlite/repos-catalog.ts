// Programs, event types and users in SQLite.
import type { EventType, Page, PageQuery, Program, User } from '../../domain/types';
import type { EventTypeRepo, ProgramRepo, UserRepo } from '../store';
import { clampPage, OWNED_IMMUTABLE, splitPatch } from '../common';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';

const programCodec: TableCodec = {
  table: 'programs',
  columns: { workspaceId: 'text', id: 'text', name: 'text', description: 'text', createdAt: 'date', updatedAt: 'date' },
};
const eventTypeCodec: TableCodec = {
  table: 'event_types',
  columns: {
    workspaceId: 'text', id: 'text', programId: 'text', name: 'text', description: 'text', templates: 'json', createdAt: 'date', updatedAt: 'date',
    templateSets: 'json', recipientPaths: 'json', rules: 'json',
  },
};
const userCodec: TableCodec = {
  table: 'users',
  columns: {
    workspaceId: 'text', id: 'text', name: 'text', phone: 'text', email: 'text', locale: 'text', timezone: 'text',
    createdAt: 'date', updatedAt: 'date',
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
  immutable: readonly string[] = OWNED_IMMUTABLE,
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

const BY_ID = '"workspaceId" = @ws AND "id" = @id';

/** create/get/update/list of a catalog table keyed by (workspaceId, id). */
function ownedById<T>(sql: Sql, codec: TableCodec) {
  return {
    async create(ws: string, rec: object): Promise<T> {
      return insertRow<T>(sql, codec, { ...rec, workspaceId: ws });
    },
    async get(ws: string, id: string): Promise<T | null> {
      const row = sql.get(`SELECT * FROM ${codec.table} WHERE ${BY_ID}`, { ws, id });
      return row ? decodeRow<T>(codec, row) : null;
    },
    async update(ws: string, id: string, patch: object): Promise<T | null> {
      return patchRow<T>(sql, codec, BY_ID, { ws, id }, patch);
    },
    async list(ws: string, q: PageQuery): Promise<Page<T>> {
      return pageOf<T>(sql, codec, '"workspaceId" = @ws', { ws }, '"id"', q);
    },
  };
}

export function programRepo(sql: Sql): ProgramRepo {
  return {
    ...ownedById<Program>(sql, programCodec),
    async delete(ws, id) {
      return sql.tx(() => {
        sql.run('DELETE FROM event_types WHERE "workspaceId" = @ws AND "programId" = @id', { ws, id });
        sql.run('DELETE FROM subscriptions WHERE "workspaceId" = @ws AND "programId" = @id', { ws, id });
        return sql.run(`DELETE FROM programs WHERE ${BY_ID}`, { ws, id }).changes > 0;
      });
    },
  };
}

export function eventTypeRepo(sql: Sql): EventTypeRepo {
  const where = '"workspaceId" = @ws AND "programId" = @programId AND "id" = @id';
  return {
    async create(ws, e) {
      return insertRow<EventType>(sql, eventTypeCodec, { ...e, workspaceId: ws });
    },
    async get(ws, programId, id) {
      const row = sql.get(`SELECT * FROM event_types WHERE ${where}`, { ws, programId, id });
      return row ? decodeRow<EventType>(eventTypeCodec, row) : null;
    },
    async update(ws, programId, id, patch) {
      return patchRow<EventType>(sql, eventTypeCodec, where, { ws, programId, id }, patch, [...OWNED_IMMUTABLE, 'programId']);
    },
    async delete(ws, programId, id) {
      // Direct subscriptions go with their event type, so a re-created id does not inherit them.
      return sql.tx(() => {
        sql.run('DELETE FROM subscriptions WHERE "workspaceId" = @ws AND "programId" = @programId AND "eventTypeId" = @id', { ws, programId, id });
        return sql.run(`DELETE FROM event_types WHERE ${where}`, { ws, programId, id }).changes > 0;
      });
    },
    async list(ws, programId, q) {
      return pageOf<EventType>(sql, eventTypeCodec, '"workspaceId" = @ws AND "programId" = @programId', { ws, programId }, '"id"', q);
    },
  };
}

export function userRepo(sql: Sql): UserRepo {
  return {
    ...ownedById<User>(sql, userCodec),
    async delete(ws, id) {
      return sql.tx(() => {
        sql.run('DELETE FROM subscriptions WHERE "workspaceId" = @ws AND "userId" = @id', { ws, id });
        return sql.run(`DELETE FROM users WHERE ${BY_ID}`, { ws, id }).changes > 0;
      });
    },
  };
}

/** The workspace's users by id (any order); ids not found are simply missing. */
export function usersByIds(sql: Sql, ws: string, ids: string[]): User[] {
  if (ids.length === 0) return [];
  // Decoded from raw rows (a fan-out reads its recipients by the hundred).
  return sql.allDecoded<User>(userCodec, 'SELECT * FROM users WHERE "workspaceId" = @ws AND "id" IN (SELECT value FROM json_each(@ids))', { ws, ids: JSON.stringify(ids) });
}
