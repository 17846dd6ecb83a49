// Subscriptions in SQLite, and the keyset walk over an event type's subscribers.
import type { Subscription } from '../../domain/types';
import type { SubscriptionRepo } from '../store';
import { collectSubscribers, subscriptionScope, type SubscriptionRow } from '../common';
import { decodeRow, type Sql, type TableCodec } from './db';
import { insertRow, pageOf, patchRow, usersByIds } from './repos-catalog';

const subscriptionCodec: TableCodec = {
  table: 'subscriptions',
  columns: {
    id: 'text', userId: 'text', programId: 'text', eventTypeId: 'text', channels: 'json', createdAt: 'date', updatedAt: 'date',
  },
};

// Each branch walks the (programId, scope, userId) index and stops after @limit rows.
const branchSql = (after: boolean): string => `SELECT "userId", "channels" FROM subscriptions
  WHERE "programId" = @programId AND "scope" = @scope ${after ? 'AND "userId" > @after' : ''}
  ORDER BY "userId" LIMIT @limit`;
const BRANCH_FIRST = branchSql(false);
const BRANCH_AFTER = branchSql(true);

export function subscriptionRepo(sql: Sql): SubscriptionRepo {
  const branch = (programId: string, scope: string, after: string | undefined, limit: number): SubscriptionRow[] =>
    sql
      .all<{ userId: string; channels: string }>(after === undefined ? BRANCH_FIRST : BRANCH_AFTER, { programId, scope, after, limit })
      .map((r) => ({ userId: r.userId, channels: JSON.parse(r.channels) }));
  const subscribersAfter: SubscriptionRepo['subscribersAfter'] = (programId, eventTypeId, afterUserId, limit) =>
    collectSubscribers(
      afterUserId,
      limit,
      async (after, n) => [branch(programId, subscriptionScope(eventTypeId), after, n), branch(programId, '*', after, n)],
      async (ids) => usersByIds(sql, ids),
    );

  return {
    async create(s) {
      return insertRow<Subscription>(sql, subscriptionCodec, s, { scope: subscriptionScope(s.eventTypeId) });
    },
    async get(id) {
      const row = sql.get('SELECT * FROM subscriptions WHERE "id" = @id', { id });
      return row ? decodeRow<Subscription>(subscriptionCodec, row) : null;
    },
    async update(id, patch) {
      return patchRow<Subscription>(sql, subscriptionCodec, '"id" = @id', { id }, patch.channels === undefined ? {} : { channels: patch.channels });
    },
    async delete(id) {
      return sql.run('DELETE FROM subscriptions WHERE "id" = @id', { id }).changes > 0;
    },
    async list(filter, q) {
      const parts: string[] = [];
      const params: Record<string, unknown> = {};
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
    async *subscriberBatches(programId, eventTypeId, afterUserId, batchSize) {
      const n = Math.max(1, Math.floor(batchSize));
      let after = afterUserId;
      for (;;) {
        const batch = await subscribersAfter(programId, eventTypeId, after, n);
        if (batch.length > 0) yield batch;
        if (batch.length < n) return;
        after = batch[batch.length - 1].user.id;
      }
    },
  };
}
