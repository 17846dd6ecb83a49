// Provider routing state in MongoDB, and per-second send tokens: a counter plus a unique claim per token.
import type { ProviderControl, ProviderControlRepo } from '../store';
import { isDuplicateKey, toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;

/** Token windows older than this many seconds are deleted. */
const KEEP_WINDOWS_S = 60;

const fromDoc = (d: Doc): ProviderControl => toRecord<ProviderControl>(d);

export function providerControlRepo(models: () => Models): ProviderControlRepo {
  let prunedAt = 0;
  const get = async (id: string): Promise<ProviderControl | null> => {
    const d = await models().providerControls.findById(id).lean<Doc>();
    return d ? fromDoc(d) : null;
  };

  /** The next number in the window; first upserts may race on _id, the loser increments the winner's. */
  const nextInWindow = async (providerId: string, second: number): Promise<number> => {
    const run = () =>
      models().providerTokens.collection.findOneAndUpdate(
        { _id: `c:${providerId}:${second}` as never },
        { $inc: { used: 1 }, $set: { providerId, second } },
        { upsert: true, returnDocument: 'after', includeResultMetadata: false },
      );
    const d = await run().catch((e) => (isDuplicateKey(e) ? run() : Promise.reject(e)));
    return Number((d as Doc | null)?.used);
  };

  return {
    async list() {
      const docs = await models().providerControls.find({}).sort({ channel: 1, order: 1, _id: 1 }).lean<Doc[]>();
      return docs.map(fromDoc);
    },
    get,
    async ensure(initial) {
      const { id, ...rest } = initial;
      const doc: Doc = { ...rest, sent: 0, failed: 0, updatedAt: new Date() };
      for (const k of Object.keys(doc)) if (doc[k] === undefined) delete doc[k];
      try {
        await models().providerControls.collection.updateOne({ _id: id as never }, { $setOnInsert: doc }, { upsert: true });
      } catch (e) {
        if (!isDuplicateKey(e)) throw e; // another process inserted it first: theirs stands
      }
      return (await get(id))!;
    },
    async update(id, patch) {
      const $set: Doc = { updatedAt: new Date() };
      const $unset: Doc = {};
      for (const k of ['paused', 'order', 'weight', 'ratePerSecond'] as const) {
        if (!(k in patch)) continue;
        if (patch[k] === undefined) $unset[k] = '';
        else $set[k] = patch[k];
      }
      const update = Object.keys($unset).length ? { $set, $unset } : { $set };
      const d = await models().providerControls.findOneAndUpdate({ _id: id }, update, { new: true }).lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async recordActivity(id, delta) {
      const update: Doc = { $inc: { sent: delta.sent, failed: delta.failed } };
      if (delta.circuitOpenUntil) update.$max = { circuitOpenUntil: delta.circuitOpenUntil };
      await models().providerControls.collection.updateOne({ _id: id as never }, update);
    },
    async takeToken(providerId, second, limit) {
      if (second - prunedAt > 10) {
        prunedAt = second;
        await models().providerTokens.deleteMany({ second: { $lt: second - KEEP_WINDOWS_S } });
      }
      // Some servers (mongo-java-server) can hand two concurrent $inc callers the same number:
      // the unique claim per number is what guarantees at most `limit` tokens a window.
      const claim = async (n: number): Promise<boolean> => {
        try {
          await models().providerTokens.collection.insertOne({ _id: `t:${providerId}:${second}:${n}` as never, providerId, second });
          return true;
        } catch (e) {
          if (!isDuplicateKey(e)) throw e;
          return false;
        }
      };
      for (let attempt = 0; attempt < 20; attempt++) {
        const n = await nextInWindow(providerId, second);
        if (!Number.isFinite(n) || n > limit) break;
        if (await claim(n)) return true;
      }
      // The counter is only a hint there (it can skip numbers): look for a slot it skipped.
      const claimed = await models().providerTokens.countDocuments({ providerId, second, _id: { $regex: '^t:' } });
      if (claimed >= limit) return false;
      for (let n = 1; n <= limit; n++) if (await claim(n)) return true;
      return false;
    },
  };
}
