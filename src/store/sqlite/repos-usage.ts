// Usage counters in SQLite: one upsert per row (INSERT ... ON CONFLICT DO UPDATE SET n = n + ?).
// A recipient's usage is counted from its messages (index messages_workspace_user_created).
import { USAGE_COLUMNS, USAGE_CREATED_SLACK_MS, usageHoursOf, zeroCounters, type UsageDelta, type UsageHour } from '../../domain/usage';
import type { Channel, MessageStatus } from '../../domain/types';
import type { UsageQuery, UsageRepo } from '../store';
import { q, type Sql } from './db';

export const USAGE_DDL = `
CREATE TABLE IF NOT EXISTS usage_rollups (
  "workspaceId" TEXT NOT NULL, "dimension" TEXT NOT NULL, "key" TEXT NOT NULL, "hour" INTEGER NOT NULL,
  "channel" TEXT NOT NULL, "provider" TEXT NOT NULL,
  ${USAGE_COLUMNS.map((c) => `${q(c)} REAL NOT NULL DEFAULT 0`).join(', ')},
  PRIMARY KEY ("workspaceId", "dimension", "key", "hour", "channel", "provider")
) WITHOUT ROWID;
`;

const UPSERT = `INSERT INTO usage_rollups ("workspaceId", "dimension", "key", "hour", "channel", "provider", ${USAGE_COLUMNS.map(q).join(', ')})
  VALUES (?, ?, ?, ?, ?, ?, ${USAGE_COLUMNS.map(() => '?').join(', ')})
  ON CONFLICT ("workspaceId", "dimension", "key", "hour", "channel", "provider") DO UPDATE SET
  ${USAGE_COLUMNS.map((c) => `${q(c)} = ${q(c)} + excluded.${q(c)}`).join(', ')}`;

/** Rows of the recipient's counters left by versions that kept them (their figures come from the messages now). */
export const DROP_USER_ROWS = `DELETE FROM usage_rollups WHERE "dimension" = 'user'`;

/**
 * One recipient's messages created in a range, grouped by what their usage is counted from (domain/usage.ts
 * UsageFacts): the hour each was accepted (its first status, else its creation), channel, status, provider,
 * hand-over, segments, cost. SQLite counts them: a recipient with very many messages costs a few groups
 * an hour in memory, not its messages (nor a JSON parse of each one's history).
 */
const ACCEPTED_MS = `COALESCE(CAST(strftime('%s', json_extract("statusHistory", '$[0].at')) AS INTEGER) * 1000, "createdAt")`;
const RECIPIENT_GROUPS = `SELECT ${ACCEPTED_MS} - ${ACCEPTED_MS} % 3600000 AS "hour", "channel", "status", "provider",
  "sentAt" IS NOT NULL AS "handedOver", json_extract("sms", '$.segments') AS "segments", "cost", COUNT(*) AS "n"
  FROM messages WHERE "workspaceId" = @workspaceId AND "userId" = @userId AND "createdAt" >= @from AND "createdAt" < @to
  GROUP BY 1, 2, 3, 4, 5, 6, 7`;

interface RecipientGroup {
  hour: number;
  channel: Channel;
  status: MessageStatus;
  provider: string | null;
  handedOver: number;
  segments: number | null;
  cost: number | null;
  n: number;
}

function recipientHours(sql: Sql, query: UsageQuery): UsageHour[] {
  const groups = sql.all<RecipientGroup>(RECIPIENT_GROUPS, {
    workspaceId: query.workspaceId, userId: query.key,
    from: query.from.getTime() - USAGE_CREATED_SLACK_MS, to: query.to.getTime() + USAGE_CREATED_SLACK_MS,
  });
  return usageHoursOf(
    groups.map((g) => ({
      channel: g.channel, status: g.status, statusHistory: [], createdAt: new Date(g.hour), count: g.n,
      ...(g.provider !== null ? { provider: g.provider } : {}),
      ...(g.handedOver ? { sentAt: new Date(g.hour) } : {}),
      ...(g.segments !== null ? { sms: { segments: g.segments } } : {}),
      ...(g.cost !== null ? { cost: g.cost } : {}),
    })),
    query,
  );
}

const SUMS = USAGE_COLUMNS.map((c) => `SUM(${q(c)}) AS ${q(c)}`).join(', ');

export function usageRepo(sql: Sql): UsageRepo {
  return {
    async add(deltas: UsageDelta[]) {
      if (deltas.length === 0) return;
      await sql.group(() => {
        // Positional parameters in one array per row: no counters object, no named lookups (the
        // rows are one per recipient and hour, so one upsert per message in a fan-out).
        const upsert = sql.stmt(UPSERT);
        for (const d of deltas) {
          const values: unknown[] = [d.workspaceId, d.dimension, d.key, d.hour.getTime(), d.channel, d.provider];
          for (const c of USAGE_COLUMNS) values.push(d.counts[c] ?? 0);
          upsert.run(values);
        }
      });
    },
    async hourly(query) {
      if (query.dimension === 'user') return recipientHours(sql, query);
      const where = ['"workspaceId" = @workspaceId', '"dimension" = @dimension', '"key" = @key', '"hour" >= @from', '"hour" < @to'];
      const params: Record<string, unknown> = { ...query, from: query.from.getTime(), to: query.to.getTime() };
      if (query.channel !== undefined) where.push('"channel" = @channel');
      else delete params.channel;
      if (query.provider !== undefined) where.push('"provider" = @provider');
      else delete params.provider;
      const rows = sql.all<Record<string, number>>(`SELECT "hour", ${SUMS} FROM usage_rollups WHERE ${where.join(' AND ')} GROUP BY "hour" ORDER BY "hour"`, params);
      return rows.map((r): UsageHour => {
        const counts = zeroCounters();
        for (const c of USAGE_COLUMNS) counts[c] = Number(r[c]);
        return { hour: new Date(r.hour), counts };
      });
    },
  };
}

