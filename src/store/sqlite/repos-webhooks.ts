// Client webhook endpoints and their deliveries in SQLite. A claim is one write transaction
// (BEGIN IMMEDIATE): two processes on the file never hold the same delivery at once.
import { randomUUID } from 'node:crypto';
import type { WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookRepo } from '../store-webhooks';
import { afterAttempt } from '../store-webhooks';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';
import { pageOf } from './repos-catalog';

export const WEBHOOKS_DDL = `
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL, "url" TEXT NOT NULL, "events" TEXT NOT NULL, "description" TEXT,
  "secret" TEXT NOT NULL, "enabled" INTEGER NOT NULL, "disabledReason" TEXT, "disabledAt" INTEGER, "failingSince" INTEGER,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_workspace ON webhook_endpoints ("workspaceId", "createdAt", "id");
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL, "endpointId" TEXT NOT NULL, "eventId" TEXT NOT NULL, "eventType" TEXT NOT NULL,
  "payload" TEXT NOT NULL, "state" TEXT NOT NULL, "nextAttemptAt" INTEGER, "leaseToken" TEXT, "retryUntil" INTEGER NOT NULL,
  "attempts" TEXT NOT NULL, "attemptCount" INTEGER NOT NULL, "lastError" TEXT, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries ("endpointId", "nextAttemptAt") WHERE "state" = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_due_all ON webhook_deliveries ("nextAttemptAt") WHERE "state" = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries ("endpointId", "createdAt", "id");
CREATE INDEX IF NOT EXISTS webhook_deliveries_finished ON webhook_deliveries ("updatedAt") WHERE "state" != 'pending';
CREATE TABLE IF NOT EXISTS webhook_sweep_cursors ("workspaceId" TEXT PRIMARY KEY, "at" INTEGER NOT NULL, "id" TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_workspace_updated ON messages ("workspaceId", "updatedAt", "id");
`;

const endpoints: TableCodec = {
  table: 'webhook_endpoints',
  columns: {
    id: 'text', workspaceId: 'text', url: 'text', events: 'json', description: 'text', secret: 'text', enabled: 'bool',
    disabledReason: 'text', disabledAt: 'date', failingSince: 'date', createdAt: 'date', updatedAt: 'date',
  },
};

const reviveAttempts = (list: Array<WebhookAttempt & { at: string }>): WebhookAttempt[] => list.map((a) => ({ ...a, at: new Date(a.at) }));

const deliveries: TableCodec = {
  table: 'webhook_deliveries',
  columns: {
    id: 'text', workspaceId: 'text', endpointId: 'text', eventId: 'text', eventType: 'text', payload: 'text', state: 'text',
    nextAttemptAt: 'date', leaseToken: 'text', retryUntil: 'date', attempts: 'json', attemptCount: 'int', lastError: 'text',
    createdAt: 'date', updatedAt: 'date',
  },
  revive: { attempts: reviveAttempts },
};

const PATCHABLE = ['url', 'events', 'description', 'secret', 'enabled', 'disabledReason', 'disabledAt', 'failingSince'] as const;

export function webhookRepo(sql: Sql): WebhookRepo {
  const endpoint = (where: string, params: object): WebhookEndpoint | null => {
    const row = sql.get(`SELECT * FROM webhook_endpoints WHERE ${where}`, params);
    return row ? decodeRow<WebhookEndpoint>(endpoints, row) : null;
  };
  const delivery = (id: string): WebhookDelivery | null => {
    const row = sql.get('SELECT * FROM webhook_deliveries WHERE "id" = @id', { id });
    return row ? decodeRow<WebhookDelivery>(deliveries, row) : null;
  };

  return {
    async getSweepCursor(ws) {
      const row = sql.get('SELECT * FROM webhook_sweep_cursors WHERE "workspaceId" = @ws', { ws });
      return row ? { at: new Date(row.at as number), id: row.id as string } : null;
    },
    async setSweepCursor(ws, c) {
      sql.run(
        `INSERT INTO webhook_sweep_cursors ("workspaceId", "at", "id") VALUES (@ws, @at, @id)
           ON CONFLICT ("workspaceId") DO UPDATE SET "at" = excluded."at", "id" = excluded."id"`,
        { ws, at: c.at.getTime(), id: c.id },
      );
    },
    async createEndpoint(e) {
      const now = new Date();
      const rec: WebhookEndpoint = { ...e, createdAt: now, updatedAt: now };
      sql.run(insertSql(endpoints), encodeRecord(endpoints, rec));
      return endpoint('"id" = @id', { id: e.id })!;
    },
    async getEndpoint(ws, id) {
      return endpoint('"workspaceId" = @ws AND "id" = @id', { ws, id });
    },
    async getEndpointById(id) {
      return endpoint('"id" = @id', { id });
    },
    async listEndpoints(ws, q) {
      return pageOf<WebhookEndpoint>(sql, endpoints, '"workspaceId" = @ws', { ws }, '"createdAt", "id"', q);
    },
    async listEnabled() {
      return sql.all('SELECT * FROM webhook_endpoints WHERE "enabled" = 1').map((r) => decodeRow<WebhookEndpoint>(endpoints, r));
    },
    async updateEndpoint(ws, id, patch) {
      const fields: Record<string, unknown> = { updatedAt: new Date() };
      for (const k of PATCHABLE) if (k in patch) fields[k] = patch[k];
      const clause = setClause(endpoints, fields);
      return sql.tx(() =>
        sql.run(`UPDATE webhook_endpoints SET ${clause.sql} WHERE "workspaceId" = @ws AND "id" = @id`, { ...clause.params, ws, id }).changes
          ? endpoint('"id" = @id', { id })
          : null,
      );
    },
    async deleteEndpoint(ws, id) {
      return sql.tx(() => {
        const gone = sql.run('DELETE FROM webhook_endpoints WHERE "workspaceId" = @ws AND "id" = @id', { ws, id }).changes > 0;
        if (gone) sql.run('DELETE FROM webhook_deliveries WHERE "endpointId" = @id', { id });
        return gone;
      });
    },
    async noteEndpointResult(id, ok, at) {
      if (ok) sql.run('UPDATE webhook_endpoints SET "failingSince" = NULL WHERE "id" = @id AND "failingSince" IS NOT NULL', { id });
      else sql.run('UPDATE webhook_endpoints SET "failingSince" = @at WHERE "id" = @id AND "failingSince" IS NULL', { id, at: at.getTime() });
      return endpoint('"id" = @id', { id });
    },

    async enqueueDeliveries(ds) {
      if (ds.length === 0) return [];
      const stmt = insertSql(deliveries).replace(/^INSERT/, 'INSERT OR IGNORE');
      return sql.tx(() => {
        const now = new Date();
        const inserted: string[] = [];
        for (const d of ds) {
          const rec: WebhookDelivery = { ...d, state: 'pending', attempts: [], attemptCount: 0, createdAt: now, updatedAt: now };
          if (sql.run(stmt, encodeRecord(deliveries, rec)).changes > 0) inserted.push(d.id);
        }
        return inserted;
      });
    },
    async dueEndpoints(now, limit, exclude = []) {
      const rows = sql.all<{ endpointId: string }>(
        `SELECT "endpointId", MIN("nextAttemptAt") AS due FROM webhook_deliveries WHERE "state" = 'pending' AND "nextAttemptAt" <= @now
           AND "endpointId" NOT IN (SELECT value FROM json_each(@exclude))
         GROUP BY "endpointId" ORDER BY due LIMIT @limit`,
        { now: now.getTime(), limit, exclude: JSON.stringify(exclude) },
      );
      return rows.map((r) => r.endpointId);
    },
    async claimDue(endpointId, now, limit, leaseUntil) {
      return sql.tx(() => {
        const ids = sql
          .all<{ id: string }>(
            `SELECT "id" FROM webhook_deliveries WHERE "endpointId" = @endpointId AND "state" = 'pending' AND "nextAttemptAt" <= @now
             ORDER BY "nextAttemptAt", "id" LIMIT @limit`,
            { endpointId, now: now.getTime(), limit },
          )
          .map((r) => r.id);
        const claimed: WebhookDelivery[] = [];
        for (const id of ids) {
          sql.run('UPDATE webhook_deliveries SET "leaseToken" = @token, "nextAttemptAt" = @until, "updatedAt" = @now WHERE "id" = @id', {
            id, token: randomUUID(), until: leaseUntil.getTime(), now: now.getTime(),
          });
          claimed.push(delivery(id)!);
        }
        return claimed;
      });
    },
    async recordAttempt(id, leaseToken, attempt, result, error) {
      return sql.tx(() => {
        const d = delivery(id);
        if (!d || d.state !== 'pending' || d.leaseToken !== leaseToken) return null;
        const next = afterAttempt(d, attempt, result, error);
        const fields: Record<string, unknown> = { nextAttemptAt: undefined, lastError: undefined, ...next, leaseToken: undefined, updatedAt: new Date() };
        const clause = setClause(deliveries, fields);
        sql.run(`UPDATE webhook_deliveries SET ${clause.sql} WHERE "id" = @id`, { ...clause.params, id });
        return delivery(id);
      });
    },
    async getDelivery(ws, endpointId, id) {
      const d = delivery(id);
      return d && d.workspaceId === ws && d.endpointId === endpointId ? d : null;
    },
    async listDeliveries(ws, endpointId, filter, q) {
      const where = ['"workspaceId" = @ws', '"endpointId" = @endpointId'];
      const params: Record<string, unknown> = { ws, endpointId };
      if (filter.state) (where.push('"state" = @state'), (params.state = filter.state));
      if (filter.eventId) (where.push('"eventId" = @eventId'), (params.eventId = filter.eventId));
      return pageOf<WebhookDelivery>(sql, deliveries, where.join(' AND '), params, '"createdAt" DESC, "id" DESC', q);
    },
    async pruneDeliveries(before, limit) {
      return sql.run(
        `DELETE FROM webhook_deliveries WHERE "id" IN (
           SELECT "id" FROM webhook_deliveries WHERE "state" != 'pending' AND "updatedAt" < @before LIMIT @limit)`,
        { before: before.getTime(), limit },
      ).changes;
    },
    async replayDelivery(ws, endpointId, id, now, retryUntil) {
      return sql.tx(() => {
        const d = delivery(id);
        if (!d || d.workspaceId !== ws || d.endpointId !== endpointId) return null;
        const clause = setClause(deliveries, { state: 'pending', nextAttemptAt: now, leaseToken: undefined, retryUntil, updatedAt: now });
        sql.run(`UPDATE webhook_deliveries SET ${clause.sql} WHERE "id" = @id`, { ...clause.params, id });
        return delivery(id);
      });
    },
  };
}
