// Idempotency-Key claims in MongoDB: the unique (scope, key) index makes the claiming insert atomic.
import type { IdempotencyRecord, IdempotencyRepo } from '../store';
import { toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;

const fromDoc = (d: Doc): IdempotencyRecord => toRecord<IdempotencyRecord>(d, ['id']);

export function idempotencyRepo(models: () => Models): IdempotencyRepo {
  return {
    async claim(r) {
      const now = new Date();
      const doc = { ...r, createdAt: now, updatedAt: now };
      await models().idempotencyKeys.collection.insertOne({ ...doc });
      return { ...doc };
    },
    async get(scope, key) {
      const d = await models().idempotencyKeys.findOne({ scope, key }).lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async replace(scope, key, token, next) {
      const now = new Date();
      const d = await models()
        .idempotencyKeys.findOneAndUpdate({ scope, key, token }, { $set: { ...next, scope, key, createdAt: now, updatedAt: now } }, { new: true })
        .lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async complete(scope, key, token) {
      const d = await models()
        .idempotencyKeys.findOneAndUpdate({ scope, key, token, state: 'in-progress' }, { $set: { state: 'done', updatedAt: new Date() } }, { new: true })
        .lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async release(scope, key, token) {
      const res = await models().idempotencyKeys.deleteOne({ scope, key, token });
      return res.deletedCount === 1;
    },
    async pruneExpired(now) {
      const res = await models().idempotencyKeys.deleteMany({ expiresAt: { $lt: now } });
      return res.deletedCount ?? 0;
    },
  };
}
