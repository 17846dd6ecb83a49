// Operator look-ups in SQLite: a message by recipient, notifications by creation time.
import type { SearchRepo } from '../store';
import { clampPage } from '../common';
import type { Sql } from './db';

/** Run with the schema: the recipient index the look-up by address needs. */
export const SEARCH_DDL = `
CREATE INDEX IF NOT EXISTS messages_workspace_to ON messages ("workspaceId", "to", "createdAt");
`;

export function searchRepo(sql: Sql): SearchRepo {
  return {
    async messageIdsTo(workspaceId, to, limit) {
      if (limit <= 0) return [];
      const rows = sql.all<{ id: string }>(
        'SELECT "id" FROM messages WHERE "workspaceId" = @workspaceId AND "to" = @to ORDER BY "createdAt" DESC, "id" DESC LIMIT @limit',
        { workspaceId, to, limit: Math.floor(limit) },
      );
      return rows.map((r) => r.id);
    },
    async notificationIds(filter, query) {
      const { limit, offset } = clampPage(query);
      const where = ['"workspaceId" = @workspaceId'];
      const params: Record<string, unknown> = { workspaceId: filter.workspaceId };
      if (filter.programId !== undefined) (where.push('"programId" = @programId'), (params.programId = filter.programId));
      if (filter.status !== undefined) (where.push('"status" = @status'), (params.status = filter.status));
      if (filter.createdFrom) (where.push('"createdAt" >= @from'), (params.from = filter.createdFrom.getTime()));
      if (filter.createdBefore) (where.push('"createdAt" < @before'), (params.before = filter.createdBefore.getTime()));
      const w = where.join(' AND ');
      const total = sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM notifications WHERE ${w}`, params)!.n;
      const rows = sql.all<{ id: string }>(`SELECT "id" FROM notifications WHERE ${w} ORDER BY "createdAt" DESC, "id" DESC LIMIT @limit OFFSET @offset`, {
        ...params,
        limit,
        offset,
      });
      return { items: rows.map((r) => r.id), total, limit, offset };
    },
  };
}
