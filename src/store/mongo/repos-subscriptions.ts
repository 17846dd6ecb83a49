// Subscriptions in MongoDB, and the walk over an event type's subscribers (keyset pages or one cursor per scope).
import type { mongo } from 'mongoose';
import { StoreUnavailableError } from '../../domain/errors';
import type { Channel, Subscription } from '../../domain/types';
import type { SubscriptionRepo } from '../store';
import { batchSubscribers, collectSubscribers, mergeScopeStreams, subscriptionScope, type SubscriptionRow } from '../common';

import type { Models } from './models';
import { ownedById, ownedFilter, usersByIds } from './repos-catalog';

type Doc = Record<string, unknown>;
const HIDDEN = ['scope'];

export function subscriptionRepo(models: () => Models): SubscriptionRepo {
  /** One keyset page of one scope, walking the (programId, scope, userId) index. */
  const base = ownedById<Subscription>(() => models().subscriptions, HIDDEN);
  const branch = async (ws: string, programId: string, scope: string, after: string | undefined, limit: number): Promise<SubscriptionRow[]> => {
    const filter: Doc = { workspaceId: ws, programId, scope };
    if (after !== undefined) filter.userId = { $gt: after };
    const docs = await models()
      .subscriptions.find(filter, { _id: 0, userId: 1, channels: 1 })
      .sort({ userId: 1 })
      .limit(limit)
      .lean<Array<{ userId: string; channels?: Channel[] }>>();
    return docs.map((d) => ({ userId: d.userId, channels: d.channels ?? [] }));
  };
  /** One scope in full as a driver cursor: sorted once by the server, fetched `batchSize` rows at a time. */
  const scopeCursor = (ws: string, programId: string, scope: string, after: string | undefined, batchSize: number) => {
    const filter: Doc = { workspaceId: ws, programId, scope };
    if (after !== undefined) filter.userId = { $gt: after };
    return models()
      .subscriptions.collection.find(filter, { projection: { _id: 0, userId: 1, channels: 1 } })
      .sort({ userId: 1 })
      .batchSize(batchSize)
      .map((d): SubscriptionRow => ({ userId: d.userId as string, channels: (d.channels as Channel[] | undefined) ?? [] }));
  };
  /** A cursor closed from outside (the store closing) ends like an exhausted one: a cut walk must fail, not end. */
  async function* rowsOf(cursor: mongo.FindCursor<SubscriptionRow>): AsyncGenerator<SubscriptionRow> {
    for await (const row of cursor) yield row;
    if (cursor.killed || !cursor.id?.isZero()) throw new StoreUnavailableError('mongodb: the subscriber walk was cut off');
  }

  return {
    async create(ws, s) {
      return base.create(ws, s, { scope: subscriptionScope(s.eventTypeId) });
    },
    get: base.get,
    async update(ws, id, patch) {
      return base.update(ws, id, patch.channels === undefined ? {} : { channels: patch.channels });
    },
    async delete(ws, id) {
      return (await models().subscriptions.deleteOne(ownedFilter(ws, id))).deletedCount > 0;
    },
    async list(ws, filter, q) {
      const f: Doc = {};
      for (const k of ['userId', 'programId', 'eventTypeId'] as const) if (filter[k] !== undefined) f[k] = filter[k];
      return base.list(ws, q, f);
    },
    async subscribersAfter(ws, programId, eventTypeId, afterUserId, limit) {
      return collectSubscribers(
        afterUserId,
        limit,
        (after, n) => Promise.all([branch(ws, programId, subscriptionScope(eventTypeId), after, n), branch(ws, programId, '*', after, n)]),
        (ids) => usersByIds(models(), ws, ids),
      );
    },
    async *subscriberBatches(ws, programId, eventTypeId, afterUserId, batchSize) {
      const n = Math.max(1, Math.floor(batchSize));
      const direct = scopeCursor(ws, programId, subscriptionScope(eventTypeId), afterUserId, n);
      const wide = scopeCursor(ws, programId, '*', afterUserId, n);
      try {
        yield* batchSubscribers(mergeScopeStreams(rowsOf(direct), rowsOf(wide)), n, (ids) => usersByIds(models(), ws, ids));
      } finally {
        await Promise.all([direct.close(), wide.close()]);
      }
    },
  };
}
