// Workspaces, API keys and the shared rate-limit windows in MongoDB.
import type { ApiKey, Workspace } from '../../domain/types';
import type { ApiKeyRepo, RateLimitRepo, WorkspaceRepo } from '../store';
import { isDuplicateKey, pageOf, toRecord } from './docs';
import type { Models } from './models';
import { createDoc } from './repos-catalog';

type Doc = Record<string, unknown>;

export function workspaceRepo(models: () => Models): WorkspaceRepo {
  const get = async (id: string): Promise<Workspace | null> => {
    const d = await models().workspaces.findById(id).lean<Doc>();
    return d ? toRecord<Workspace>(d) : null;
  };
  return {
    async create(w) {
      return createDoc<Workspace>(models().workspaces, w);
    },
    get,
    async list(q) {
      return pageOf<Workspace>(models().workspaces, {}, { createdAt: 1, _id: 1 }, q);
    },
    async ensure(w) {
      const now = new Date();
      await models()
        .workspaces.collection.updateOne({ _id: w.id as never }, { $setOnInsert: { name: w.name, createdAt: now, updatedAt: now } }, { upsert: true })
        .catch((e: unknown) => (isDuplicateKey(e) ? undefined : Promise.reject(e))); // a concurrent ensure won
      return (await get(w.id))!;
    },
  };
}

export function apiKeyRepo(models: () => Models): ApiKeyRepo {
  const get = async (id: string): Promise<ApiKey | null> => {
    const d = await models().apiKeys.findById(id).lean<Doc>();
    return d ? toRecord<ApiKey>(d) : null;
  };
  return {
    async create(k) {
      return createDoc<ApiKey>(models().apiKeys, k);
    },
    get,
    async list(ws, q) {
      return pageOf<ApiKey>(models().apiKeys, { workspaceId: ws }, { createdAt: 1, _id: 1 }, q);
    },
    async revoke(ws, id, at) {
      const coll = models().apiKeys.collection;
      const found = await coll.updateOne({ _id: id as never, workspaceId: ws }, { $set: { updatedAt: at } });
      if (found.matchedCount === 0) return null;
      // The first revocation time stays.
      await coll.updateOne({ _id: id as never, revokedAt: null }, { $set: { revokedAt: at } });
      return get(id);
    },
    async touch(id, at) {
      await models().apiKeys.collection.updateOne({ _id: id as never }, { $set: { lastUsedAt: at } });
    },
    async countActive() {
      return models().apiKeys.countDocuments({ revokedAt: null });
    },
  };
}

export function rateLimitRepo(models: () => Models): RateLimitRepo {
  return {
    async hit(key, windowStart, expiresAt) {
      const run = () =>
        models().rateLimits.collection.findOneAndUpdate(
          { _id: `${key}|${windowStart}` as never },
          { $inc: { hits: 1 }, $setOnInsert: { key, windowStart, expiresAt } },
          { upsert: true, returnDocument: 'after', includeResultMetadata: false },
        );
      // Two first hits can race on the window's _id: the loser simply increments the winner's.
      const d = await run().catch((e: unknown) => (isDuplicateKey(e) ? run() : Promise.reject(e)));
      return Number((d as Doc | null)?.hits ?? 1);
    },
    async unhit(key, windowStart) {
      await models().rateLimits.collection.updateOne({ _id: `${key}|${windowStart}` as never, hits: { $gt: 0 } }, { $inc: { hits: -1 } });
    },
    async reset(key) {
      await models().rateLimits.deleteMany({ key });
    },
    async prune(now) {
      return (await models().rateLimits.deleteMany({ expiresAt: { $lt: now } })).deletedCount;
    },
  };
}
