// Workspaces, API keys and the shared rate-limit windows in SQLite.
import type { ApiKey, Workspace } from '../../domain/types';
import type { ApiKeyRepo, RateLimitRepo, WorkspaceRepo } from '../store';
import { decodeRow, encodeRecord, insertSql, type Sql, type TableCodec } from './db';
import { insertRow, pageOf } from './repos-catalog';

const workspaceCodec: TableCodec = { table: 'workspaces', columns: { id: 'text', name: 'text', createdAt: 'date', updatedAt: 'date' } };
const apiKeyCodec: TableCodec = {
  table: 'api_keys',
  columns: {
    id: 'text', workspaceId: 'text', role: 'text', name: 'text', prefix: 'text', hash: 'text',
    lastUsedAt: 'date', revokedAt: 'date', createdAt: 'date', updatedAt: 'date',
  },
};

export function workspaceRepo(sql: Sql): WorkspaceRepo {
  const get = (id: string): Workspace | null => {
    const row = sql.get('SELECT * FROM workspaces WHERE "id" = @id', { id });
    return row ? decodeRow<Workspace>(workspaceCodec, row) : null;
  };
  return {
    async create(w) {
      return insertRow<Workspace>(sql, workspaceCodec, w);
    },
    async get(id) {
      return get(id);
    },
    async list(q) {
      return pageOf<Workspace>(sql, workspaceCodec, '', {}, '"createdAt", "id"', q);
    },
    async ensure(w) {
      const now = new Date();
      sql.run(insertSql(workspaceCodec).replace(/^INSERT/, 'INSERT OR IGNORE'), encodeRecord(workspaceCodec, { ...w, createdAt: now, updatedAt: now }));
      return get(w.id)!;
    },
  };
}

export function apiKeyRepo(sql: Sql): ApiKeyRepo {
  const get = (id: string): ApiKey | null => {
    const row = sql.get('SELECT * FROM api_keys WHERE "id" = @id', { id });
    return row ? decodeRow<ApiKey>(apiKeyCodec, row) : null;
  };
  return {
    async create(k) {
      return insertRow<ApiKey>(sql, apiKeyCodec, k);
    },
    async get(id) {
      return get(id);
    },
    async list(ws, q) {
      return pageOf<ApiKey>(sql, apiKeyCodec, '"workspaceId" = @ws', { ws }, '"createdAt", "id"', q);
    },
    async revoke(ws, id, at) {
      return sql.tx(() => {
        const t = at.getTime();
        const res = sql.run('UPDATE api_keys SET "revokedAt" = COALESCE("revokedAt", @t), "updatedAt" = @t WHERE "workspaceId" = @ws AND "id" = @id', { ws, id, t });
        return res.changes === 0 ? null : get(id);
      });
    },
    async touch(id, at) {
      sql.run('UPDATE api_keys SET "lastUsedAt" = @t WHERE "id" = @id', { id, t: at.getTime() });
    },
    async countActive() {
      return sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM api_keys WHERE "revokedAt" IS NULL')!.n;
    },
  };
}

export function rateLimitRepo(sql: Sql): RateLimitRepo {
  return {
    async hit(key, windowStart, expiresAt) {
      const row = sql.get<{ hits: number }>(
        `INSERT INTO rate_limits ("key", "windowStart", "hits", "expiresAt") VALUES (@key, @windowStart, 1, @expiresAt)
         ON CONFLICT ("key", "windowStart") DO UPDATE SET "hits" = "hits" + 1 RETURNING "hits"`,
        { key, windowStart, expiresAt: expiresAt.getTime() },
      );
      return row!.hits;
    },
    async unhit(key, windowStart) {
      sql.run('UPDATE rate_limits SET "hits" = MAX(0, "hits" - 1) WHERE "key" = @key AND "windowStart" = @windowStart', { key, windowStart });
    },
    async reset(key) {
      sql.run('DELETE FROM rate_limits WHERE "key" = @key', { key });
    },
    async prune(now) {
      return sql.run('DELETE FROM rate_limits WHERE "expiresAt" < @now', { now: now.getTime() }).changes;
    },
  };
}
