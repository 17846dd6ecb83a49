// Subscriptions in MongoDB, and the keyset walk over an event type's subscribers.
import type { Channel, Subscription } from '../../domain/types';
import type { SubscriptionRepo } from '../store';
import { collectSubscribers, subscriptionScope, type SubscriptionRow } from '../common';
import { pageOf, patchUpdate, toRecord } from './docs';
import type { Models } from './models';
import { createDoc, usersByIds } from './repos-catalog';

type Doc = Record<string, unknown>;
const HIDDEN = ['scope'];

export function subscriptionRepo(models: () => Models): SubscriptionRepo {
  /** One keyset page of one scope, walking the (programId, scope, userId) index. */
  const branch = async (programId: string, scope: string, after: string | undefined, limit: number): Promise<SubscriptionRow[]> => {
    const filter: Doc = { programId, scope };
    if (after !== undefined) filter.userId = { $gt: after };
    const docs = await models()
      .subscriptions.find(filter, { _id: 0, userId: 1, channels: 1 })
      .sort({ userId: 1 })
      .limit(limit)
      .lean<Array<{ userId: string; channels?: Channel[] }>>();
    return docs.map((d) => ({ userId: d.userId, channels: d.channels ?? [] }));
  };

  return {
    async create(s) {
      return createDoc<Subscription>(models().subscriptions, s, { scope: subscriptionScope(s.eventTypeId) });
    },
    async get(id) {
      const d = await models().subscriptions.findById(id).lean<Doc>();
      return d ? toRecord<Subscription>(d, HIDDEN) : null;
    },
    async update(id, patch) {
      const update = patchUpdate(patch.channels === undefined ? {} : { channels: patch.channels }, []);
      const d = await models().subscriptions.findByIdAndUpdate(id, update, { new: true }).lean<Doc>();
      return d ? toRecord<Subscription>(d, HIDDEN) : null;
    },
    async delete(id) {
      return (await models().subscriptions.deleteOne({ _id: id })).deletedCount > 0;
    },
    async list(filter, q) {
      const f: Doc = {};
      for (const k of ['userId', 'programId', 'eventTypeId'] as const) if (filter[k] !== undefined) f[k] = filter[k];
      return pageOf<Subscription>(models().subscriptions, f, { _id: 1 }, q, HIDDEN);
    },
    async subscribersAfter(programId, eventTypeId, afterUserId, limit) {
      return collectSubscribers(
        afterUserId,
        limit,
        (after, n) => Promise.all([branch(programId, subscriptionScope(eventTypeId), after, n), branch(programId, '*', after, n)]),
        (ids) => usersByIds(models(), ids),
      );
    },
  };
}
