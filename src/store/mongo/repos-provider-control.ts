// Provider routing state in MongoDB, and the shared send slots (GCRA): a compare-and-set on one number per provider.
import { nextSlot } from '../../domain/send-slots';
import type { ProviderControl, ProviderControlRepo } from '../store';
import { isDuplicateKey, toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;

/** Compare-and-set rounds before a reservation gives up (each loses only to another process's grant). */
const CAS_ROUNDS = 50;

const fromDoc = (d: Doc): ProviderControl => toRecord<ProviderControl>(d);

export function providerControlRepo(models: () => Models): ProviderControlRepo {
  const get = async (id: string): Promise<ProviderControl | null> => {
    const d = await models().providerControls.findById(id).lean<Doc>();
    return d ? fromDoc(d) : null;
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
    async reserveSlot(providerId, intervalMs, maxWaitMs, now) {
      const coll = models().providerSlots.collection;
      for (let round = 0; round < CAS_ROUNDS; round++) {
        const d = await coll.findOne({ _id: providerId as never });
        const seen = d ? Number(d.tat) : undefined;
        const { answer, tat } = nextSlot(seen ?? 0, now, intervalMs, maxWaitMs);
        if (!answer.granted) return answer;
        try {
          // Only the caller that still sees the TAT it read moves it: that caller owns the slot.
          const moved = seen === undefined ? (await coll.insertOne({ _id: providerId as never, tat }), 1) : (await coll.updateOne({ _id: providerId as never, tat: seen }, { $set: { tat } })).modifiedCount;
          if (moved === 1) return answer;
        } catch (e) {
          if (!isDuplicateKey(e)) throw e; // another process inserted the first slot
        }
      }
      return { granted: false, at: now + intervalMs };
    },
  };
}
