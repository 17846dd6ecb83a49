// Client webhook endpoints and their deliveries in MongoDB. A claim and a recorded attempt are each a
// compare-and-set on one document (its due time, its lease token).
import { randomUUID } from 'node:crypto';
import type { WebhookDelivery, WebhookEndpoint, WebhookRepo } from '../store-webhooks';
import { afterAttempt } from '../store-webhooks';
import { clampPage } from '../common';
import { duplicateIndexes, toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;

const WRITE = { returnDocument: 'after', ignoreUndefined: true } as const;

const endpointOf = (d: Doc): WebhookEndpoint => toRecord<WebhookEndpoint>(d);
const deliveryOf = (d: Doc): WebhookDelivery => toRecord<WebhookDelivery>(d);

/** $set of the defined fields and $unset of the undefined ones. */
function setUnset(fields: Doc): { $set: Doc; $unset?: Doc } {
  const $set: Doc = {};
  const $unset: Doc = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) $unset[k] = '';
    else $set[k] = v;
  }
  return Object.keys($unset).length ? { $set, $unset } : { $set };
}

const PATCHABLE = ['url', 'events', 'description', 'secret', 'enabled', 'disabledReason', 'disabledAt', 'failingSince'] as const;

export function webhookRepo(models: () => Models): WebhookRepo {
  const endpoints = () => models().webhookEndpoints.collection;
  const deliveries = () => models().webhookDeliveries.collection;
  const page = async <T>(coll: ReturnType<typeof endpoints>, filter: Doc, sort: Record<string, 1 | -1>, q: { limit: number; offset: number }, of: (d: Doc) => T) => {
    const { limit, offset } = clampPage(q);
    const [total, docs] = await Promise.all([
      coll.countDocuments(filter),
      limit === 0 ? Promise.resolve([]) : coll.find(filter).sort(sort).skip(offset).limit(limit).toArray(),
    ]);
    return { items: docs.map((d) => of(d as Doc)), total, limit, offset };
  };

  const byId = async (id: string): Promise<WebhookEndpoint | null> => {
    const d = await endpoints().findOne({ _id: id as never });
    return d ? endpointOf(d) : null;
  };

  const cursors = () => models().webhookSweepCursors.collection;

  return {
    async getSweepCursor(ws) {
      const d = await cursors().findOne({ _id: ws as never });
      return d ? { at: d.at as Date, id: d.id as string } : null;
    },
    async setSweepCursor(ws, c) {
      await cursors().updateOne({ _id: ws as never }, { $set: { at: c.at, id: c.id } }, { upsert: true });
    },
    async createEndpoint(e) {
      const now = new Date();
      const { id, ...rest } = e;
      await endpoints().insertOne({ _id: id as never, ...rest, createdAt: now, updatedAt: now }, { ignoreUndefined: true });
      return (await byId(id))!;
    },
    async getEndpoint(ws, id) {
      const d = await endpoints().findOne({ _id: id as never, workspaceId: ws });
      return d ? endpointOf(d) : null;
    },
    getEndpointById: byId,
    async listEndpoints(ws, q) {
      return page(endpoints(), { workspaceId: ws }, { createdAt: 1, _id: 1 }, q, endpointOf);
    },
    async listEnabled() {
      return (await endpoints().find({ enabled: true }).toArray()).map((d) => endpointOf(d));
    },
    async updateEndpoint(ws, id, patch) {
      const fields: Doc = { updatedAt: new Date() };
      for (const k of PATCHABLE) if (k in patch) fields[k] = patch[k];
      const d = await endpoints().findOneAndUpdate({ _id: id as never, workspaceId: ws }, setUnset(fields), WRITE);
      return d ? endpointOf(d) : null;
    },
    async deleteEndpoint(ws, id) {
      const r = await endpoints().deleteOne({ _id: id as never, workspaceId: ws });
      if (r.deletedCount === 0) return false;
      await deliveries().deleteMany({ endpointId: id });
      return true;
    },
    async noteEndpointResult(id, ok, at) {
      if (ok) await endpoints().updateOne({ _id: id as never, failingSince: { $exists: true } }, { $unset: { failingSince: '' } });
      else await endpoints().updateOne({ _id: id as never, failingSince: { $exists: false } }, { $set: { failingSince: at } });
      return byId(id);
    },

    async enqueueDeliveries(ds) {
      if (ds.length === 0) return [];
      const now = new Date();
      const docs = ds.map(({ id, ...d }) => ({ _id: id as never, ...d, state: 'pending', attempts: [], attemptCount: 0, createdAt: now, updatedAt: now }));
      try {
        await deliveries().insertMany(docs, { ordered: false });
        return ds.map((d) => d.id);
      } catch (e) {
        const failed = duplicateIndexes(e);
        return ds.filter((_, i) => !failed.has(i)).map((d) => d.id);
      }
    },
    async dueEndpoints(now, limit, exclude = []) {
      const rows = await deliveries()
        .aggregate([
          { $match: { state: 'pending', nextAttemptAt: { $lte: now }, ...(exclude.length ? { endpointId: { $nin: exclude } } : {}) } },
          { $group: { _id: '$endpointId', due: { $min: '$nextAttemptAt' } } },
          { $sort: { due: 1 } },
          { $limit: limit },
        ])
        .toArray();
      return rows.map((r) => String(r._id));
    },
    async claimDue(endpointId, now, limit, leaseUntil) {
      const candidates = await deliveries()
        .find({ endpointId, state: 'pending', nextAttemptAt: { $lte: now } }, { projection: { _id: 1 } })
        .sort({ nextAttemptAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      const claimed: WebhookDelivery[] = [];
      for (const c of candidates) {
        // Another process may have taken it since the read: the due-time condition is the compare.
        const d = await deliveries().findOneAndUpdate(
          { _id: c._id, state: 'pending', nextAttemptAt: { $lte: now } },
          { $set: { leaseToken: randomUUID(), nextAttemptAt: leaseUntil, updatedAt: now } },
          WRITE,
        );
        if (d) claimed.push(deliveryOf(d));
      }
      return claimed;
    },
    async recordAttempt(id, leaseToken, attempt, result, error) {
      const d = await deliveries().findOne({ _id: id as never, state: 'pending', leaseToken });
      if (!d) return null;
      const next = afterAttempt(deliveryOf(d), attempt, result, error);
      const fields: Doc = { nextAttemptAt: undefined, lastError: undefined, ...next, leaseToken: undefined, updatedAt: new Date() };
      const after = await deliveries().findOneAndUpdate({ _id: id as never, state: 'pending', leaseToken }, setUnset(fields), WRITE);
      return after ? deliveryOf(after) : null;
    },
    async getDelivery(ws, endpointId, id) {
      const d = await deliveries().findOne({ _id: id as never, workspaceId: ws, endpointId });
      return d ? deliveryOf(d) : null;
    },
    async listDeliveries(ws, endpointId, filter, q) {
      const f: Doc = { workspaceId: ws, endpointId };
      if (filter.state) f.state = filter.state;
      if (filter.eventId) f.eventId = filter.eventId;
      return page(deliveries(), f, { createdAt: -1, _id: -1 }, q, deliveryOf);
    },
    async pruneDeliveries(before, limit) {
      const old = await deliveries()
        .find({ state: { $in: ['succeeded', 'failed'] }, updatedAt: { $lt: before } }, { projection: { _id: 1 } })
        .limit(limit)
        .toArray();
      if (old.length === 0) return 0;
      return (await deliveries().deleteMany({ _id: { $in: old.map((d) => d._id) }, state: { $in: ['succeeded', 'failed'] } })).deletedCount;
    },
    async replayDelivery(ws, endpointId, id, now, retryUntil) {
      const d = await deliveries().findOneAndUpdate(
        { _id: id as never, workspaceId: ws, endpointId },
        { $set: { state: 'pending', nextAttemptAt: now, retryUntil, updatedAt: now }, $unset: { leaseToken: '' } },
        WRITE,
      );
      return d ? deliveryOf(d) : null;
    },
  };
}
