// Subscriptions in SQLite, and the keyset walk over an event type's subscribers.
import type { Subscription } from '../../domain/types';
import type { SubscriptionRepo } from '../store';
import { collectSubscribers, subscriptionScope, type SubscriptionRow } from '../common';
import { decodeRow, type Sql, type TableCodec } from './db';
import { insertRow, pageOf, patchRow, usersByIds } from './repos-catalog';

const subscriptionCodec: TableCodec = {
  table: 'subscriptions',
  columns: {
    workspaceId: 'text', id: 'text', userId: 'text', programId: 'text', eventTypeId: 'text', channels: 'json', createdAt: 'date', updatedAt: 'date',
  },
};

// Each branch walks the (programId, scope, userId) index and stops after @limit rows.
const branchSql = (after: boolean): string => `SELECT "userId", "channels" FROM subscriptions
  WHERE "workspaceId" = @ws AND "programId" = @programId AND "scope" = @scope ${after ? 'AND "userId" > @after' : ''}
  ORDER BY "userId" LIMIT @limit`;
const BRANCH_FIRST = branchSql(false);
const BRANCH_AFTER = branchSql(true);

export function subscriptionRepo(sql: Sql): SubscriptionRepo {
  const branch = (ws: string, programId: string, scope: string, after: string | undefined, limit: number): SubscriptionRow[] =>
    sql
      .all<{ userId: string; channels: string }>(after === undefined ? BRANCH_FIRST : BRANCH_AFTER, { ws, programId, scope, after, limit })
      .map((r) => ({ userId: r.userId, channels: JSON.parse(r.channels) }));
  const subscribersAfter: SubscriptionRepo['subscribersAfter'] = (ws, programId, eventTypeId, afterUserId, limit) =>
    collectSubscribers(
      afterUserId,
      limit,
      async (after, n) => [branch(ws, programId, subscriptionScope(eventTypeId), after, n), branch(ws, programId, '*', after, n)],
      async (ids) => usersByIds(sql, ws, ids),
    );
  const BY_ID = '"workspaceId" = @ws AND "id" = @id';

  return {
    async create(ws, s) {
      return insertRow<Subscription>(sql, subscriptionCodec, { ...s, workspaceId: ws }, { scope: subscriptionScope(s.eventTypeId) });
    },
    async get(ws, id) {
      const row = sql.get(`SELECT * FROM subscriptions WHERE ${BY_ID}`, { ws, id });
      return row ? decodeRow<Subscription>(subscriptionCodec, row) : null;
    },
    async update(ws, id, patch) {
      return patchRow<Subscription>(sql, subscriptionCodec, BY_ID, { ws, id }, patch.channels === undefined ? {} : { channels: patch.channels });
    },
    async delete(ws, id) {
      return sql.run(`DELETE FROM subscriptions WHERE ${BY_ID}`, { ws, id }).changes > 0;
    },
    async list(ws, filter, q) {
      const parts: string[] = ['"workspaceId" = @ws'];
      const params: Record<string, unknown> = { ws };
      for (const k of ['userId', 'programId', 'eventTypeId'] as const) {
        if (filter[k] !== undefined) {
          parts.push(`"${k}" = @${k}`);
          params[k] = filter[k];
        }
      }
      return pageOf<Subscription>(sql, subscriptionCodec, parts.join(' AND '), params, '"id"', q);
    },
    subscribersAfter,
    // A keyset page per batch: SQLite walks its index, so a page costs no sort of the whole table.
    async *subscriberBatches(ws, programId, eventTypeId, afterUserId, batchSize) {
      const n = Math.max(1, Math.floor(batchSize));
      let after = afterUserId;
      for (;;) {
        const batch = await subscribersAfter(ws, programId, eventTypeId, after, n);
        if (batch.length > 0) yield batch;
        if (batch.length < n) return;
        after = batch[batch.length - 1].user.id;
      }
    },
  };
}
