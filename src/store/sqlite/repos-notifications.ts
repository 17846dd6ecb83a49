// Notifications in SQLite. `dispatch` is flattened into columns so the fan-out cursor is cheap to move.
import type { Notification, RequestedWindow } from '../../domain/types';
import type { NewNotification, NotificationRepo } from '../store';
import { OWNED_IMMUTABLE, splitPatch } from '../common';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';
import { pageOf } from './repos-catalog';

const codec: TableCodec = {
  table: 'notifications',
  columns: {
    id: 'text', workspaceId: 'text', programId: 'text', eventTypeId: 'text', startTime: 'date', endTime: 'date', validUntil: 'date',
    data: 'json', status: 'text', source: 'text', idempotencyKey: 'text', warnings: 'json', requestedWindow: 'json',
    dispatchCursor: 'text', dispatchMessages: 'int', dispatchStartedAt: 'date', dispatchFinishedAt: 'date',
    createdAt: 'date', updatedAt: 'date', recipients: 'json', rules: 'json', subscribers: 'bool',
  },
  revive: { requestedWindow: reviveWindow },
};

/** A requested window read back from JSON: its ISO strings as Dates. */
function reviveWindow(w: { startTime: string; endTime?: string }): RequestedWindow {
  return { startTime: new Date(w.startTime), ...(w.endTime ? { endTime: new Date(w.endTime) } : {}) };
}

type Flat = Record<string, unknown>;

function flatten(n: Partial<Notification>): Flat {
  const { dispatch, ...rest } = n;
  const flat: Flat = { ...rest };
  if ('dispatch' in n) {
    flat.dispatchCursor = dispatch?.cursor;
    flat.dispatchMessages = dispatch?.messages ?? 0;
    flat.dispatchStartedAt = dispatch?.startedAt;
    flat.dispatchFinishedAt = dispatch?.finishedAt;
  }
  return flat;
}

function fromRow(row: Record<string, unknown>): Notification {
  const { dispatchCursor, dispatchMessages, dispatchStartedAt, dispatchFinishedAt, ...rest } = decodeRow<Flat>(codec, row);
  const dispatch: Notification['dispatch'] = { messages: (dispatchMessages as number) ?? 0 };
  if (dispatchCursor !== undefined) dispatch.cursor = dispatchCursor as string;
  if (dispatchStartedAt !== undefined) dispatch.startedAt = dispatchStartedAt as Date;
  if (dispatchFinishedAt !== undefined) dispatch.finishedAt = dispatchFinishedAt as Date;
  return { ...(rest as Omit<Notification, 'dispatch'>), dispatch };
}

export function notificationRepo(sql: Sql): NotificationRepo {
  const get = (id: string): Notification | null => {
    const row = sql.get('SELECT * FROM notifications WHERE "id" = @id', { id });
    return row ? fromRow(row) : null;
  };

  /** One UPDATE (status-checked when `from` is given), then read back; runs inside a group's transaction. */
  const applyPatch = (id: string, from: string[] | null, patch: Partial<NewNotification>): (() => Notification | null) => {
    const { set, unset } = splitPatch(patch, OWNED_IMMUTABLE);
    const fields: Flat = { ...set, updatedAt: new Date() };
    for (const k of unset) fields[k] = undefined;
    const clause = setClause(codec, flatten(fields as Partial<Notification>));
    const cas = from ? 'AND "status" IN (SELECT value FROM json_each(@from))' : '';
    return () => {
      const res = sql.run(`UPDATE notifications SET ${clause.sql} WHERE "id" = @id ${cas}`, {
        ...clause.params,
        id,
        from: JSON.stringify(from ?? []),
      });
      return res.changes === 0 ? null : get(id);
    };
  };
  const patchWhere = (id: string, from: string[] | null, patch: Partial<NewNotification>): Promise<Notification | null> =>
    sql.group(applyPatch(id, from, patch));

  return {
    async create(n) {
      const now = new Date();
      const full = flatten({ ...n, dispatch: n.dispatch ?? { messages: 0 }, createdAt: now, updatedAt: now });
      const row = encodeRecord(codec, full);
      // Notifications created together share one commit (one fsync); a duplicate id fails alone.
      return sql.group(() => {
        sql.run(insertSql(codec), row);
        return fromRow(row);
      });
    },
    async get(id) {
      return get(id);
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      return sql.all('SELECT * FROM notifications WHERE "id" IN (SELECT value FROM json_each(@ids))', { ids: JSON.stringify(ids) }).map(fromRow);
    },
    async transition(id, from, to, patch = {}) {
      return patchWhere(id, from, { ...patch, status: to });
    },
    async transitionEach(changes) {
      if (changes.length === 0) return [];
      // One transaction (and one commit, shared with the group's other writes) for all of them.
      const writes = changes.map(({ id, from, to, patch }) => applyPatch(id, from, { ...(patch ?? {}), status: to }));
      return sql.group(() => writes.map((w) => w()));
    },
    async update(id, patch) {
      return patchWhere(id, null, patch);
    },
    async findByStatus(statuses, opts) {
      const where = ['"status" IN (SELECT value FROM json_each(@statuses))'];
      const params: Flat = { statuses: JSON.stringify(statuses), limit: Math.max(0, opts.limit) };
      if (opts.startBefore) {
        where.push('"startTime" < @startBefore');
        params.startBefore = opts.startBefore.getTime();
      }
      if (opts.updatedBefore) {
        where.push('"updatedAt" < @updatedBefore');
        params.updatedBefore = opts.updatedBefore.getTime();
      }
      if (opts.validBefore) {
        where.push('"validUntil" <= @validBefore');
        params.validBefore = opts.validBefore.getTime();
      }
      return sql
        .all(`SELECT * FROM notifications WHERE ${where.join(' AND ')} ORDER BY "updatedAt", "id" LIMIT @limit`, params)
        .map(fromRow);
    },
    async list(filter, q) {
      const parts: string[] = ['"workspaceId" = @workspaceId'];
      const params: Flat = { workspaceId: filter.workspaceId };
      if (filter.programId !== undefined) {
        parts.push('"programId" = @programId');
        params.programId = filter.programId;
      }
      if (filter.status !== undefined) {
        parts.push('"status" = @status');
        params.status = filter.status;
      }
      return pageOf(sql, codec, parts.join(' AND '), params, '"createdAt" DESC, "id" DESC', q, fromRow);
    },
  };
}
