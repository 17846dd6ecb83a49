// Notifications in MongoDB: transitions are one findOneAndUpdate conditioned on the status.
import { randomUUID } from 'node:crypto';
import type { Notification } from '../../domain/types';
import type { NotificationRepo } from '../store';
import { OWNED_IMMUTABLE } from '../common';
import { ConflictError } from '../../domain/errors';
import { groupCommit, type Outcome } from '../group-commit';
import { duplicateIndexes, findByIdLists, pageOf, patchUpdate, toRecord } from './docs';
import type { Models } from './models';
import { insertEach, updateEach } from './raw-writes';

type Doc = Record<string, unknown>;

/** Set by transitionEach only: which of several concurrent writers won a compare-and-set. */
const CAS_TOKEN = 'casToken';

/** A stored dispatch sub-document without nulls (a cleared cursor is absent). */
function fromDoc(d: Doc): Notification {
  const n = toRecord<Notification>(d, [CAS_TOKEN]);
  n.dispatch = toRecord<Notification['dispatch']>((d.dispatch as Doc) ?? {});
  n.dispatch.messages ??= 0;
  return n;
}

export function notificationRepo(models: () => Models): NotificationRepo {
  /**
   * Notifications created together are one unordered insert (one majority-acknowledged, journaled
   * write); each is cast and validated by mongoose first, and a duplicate id fails alone.
   */
  const insert = groupCommit(
    async (recs: Doc[]): Promise<Array<Outcome<Notification>>> => {
      const model = models().notifications;
      const now = new Date();
      const out: Array<Outcome<Notification>> = new Array(recs.length);
      const rows: Array<{ at: number; doc: Doc }> = [];
      // What a mongoose document would store (schema field order, its defaults) without building one (~90 µs each):
      // the service hands over the stored types already (strings, Dates, the dispatch sub-document).
      const fields = Object.entries(model.schema.paths as Record<string, { defaultValue?: unknown; isRequired?: boolean }>);
      recs.forEach((rec, at) => {
        const doc: Doc = {};
        const missing: string[] = [];
        for (const [k, { defaultValue: def, isRequired }] of fields) {
          if (k === '_id') doc._id = rec.id;
          else if (k === 'createdAt' || k === 'updatedAt') doc[k] = now;
          else {
            const v = rec[k] !== undefined ? rec[k] : typeof def === 'function' ? (def as () => unknown)() : def;
            if (v !== undefined) doc[k] = v;
            else if (isRequired) missing.push(k);
          }
        }
        if (missing.length) out[at] = { ok: false, error: new Error(`notification: ${missing.join(', ')} required`) };
        else rows.push({ at, doc });
      });
      let duplicates = new Set<number>();
      if (rows.length) {
        try {
          // One raw insert command (connection's write concern), without the driver's bulk bookkeeping per document.
          await insertEach(model, rows.map((r) => r.doc), false);
        } catch (e) {
          duplicates = duplicateIndexes(e);
        }
      }
      rows.forEach((r, k) => {
        out[r.at] = duplicates.has(k) ? { ok: false, error: new ConflictError('a record with the same key already exists') } : { ok: true, value: fromDoc(toRecord(r.doc)) };
      });
      return out;
    },
    { maxInFlight: 4 },
  );

  return {
    async create(n) {
      return insert({ ...n, dispatch: n.dispatch ?? { messages: 0 } });
    },
    async get(id) {
      const d = await models().notifications.findById(id).lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async transition(id, from, to, patch = {}) {
      const update = patchUpdate({ ...patch, status: to }, OWNED_IMMUTABLE);
      const d = await models()
        // Equality for one status: mongo-java-server then finds {_id, status} by its index instead of scanning.
        .notifications.findOneAndUpdate({ _id: id, status: from.length === 1 ? from[0] : { $in: from } }, update, { new: true })
        .lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const docs = await findByIdLists(ids, (list) => models().notifications.collection.find({ _id: { $in: list } as never }).toArray());
      return docs.map((d) => fromDoc(d));
    },
    async transitionEach(changes) {
      if (changes.length === 0) return [];
      const coll = models().notifications.collection;
      const at = new Date();
      const tokens = changes.map(() => randomUUID());
      const writes = changes.map(({ id, from, to, patch }, i) => {
        const update = patchUpdate({ ...(patch ?? {}), status: to }, OWNED_IMMUTABLE, at);
        update.$set[CAS_TOKEN] = tokens[i];
        return { filter: { _id: id, status: from.length === 1 ? from[0] : { $in: from } }, update };
      });
      // One raw update command for all of them (no bulk bookkeeping): a statement per notification, each its own compare-and-set.
      // Retried once as bulkWrite would be: a second apply matches nothing and is told by the token below.
      const res = await updateEach(models().notifications, writes, { retryOnce: true });
      const distinct = new Set(changes.map((c) => c.id)).size === changes.length;
      const usable = changes.every((c) => c.expected?.id === c.id && c.from.includes(c.expected.status));
      // Every compare-and-set matched and the callers sent their copies: the images are theirs with the update applied.
      if (distinct && usable && res.matched === changes.length) {
        return changes.map((c, i) => {
          const image: Doc = { ...(c.expected as unknown as Doc) };
          Object.assign(image, writes[i].update.$set);
          for (const k of Object.keys(writes[i].update.$unset ?? {})) delete image[k];
          return fromDoc(image);
        });
      }
      const docs = await coll.find({ _id: { $in: changes.map((c) => c.id) } as never }).toArray();
      const byId = new Map(docs.map((d) => [String(d._id), d as Doc]));
      // Ours only if our token is still there and nobody moved the notification on since.
      return changes.map((c, i) => {
        const d = byId.get(c.id);
        return d && d[CAS_TOKEN] === tokens[i] && d.status === c.to ? fromDoc(d) : null;
      });
    },
    async update(id, patch) {
      const d = await models().notifications.findByIdAndUpdate(id, patchUpdate(patch, OWNED_IMMUTABLE), { new: true }).lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async findByStatus(statuses, opts) {
      const filter: Doc = { status: { $in: statuses } };
      if (opts.startBefore) filter.startTime = { $lt: opts.startBefore };
      if (opts.updatedBefore) filter.updatedAt = { $lt: opts.updatedBefore };
      if (opts.validBefore) filter.validUntil = { $lte: opts.validBefore };
      if (opts.limit <= 0) return [];
      const docs = await models().notifications.find(filter).sort({ updatedAt: 1, _id: 1 }).limit(opts.limit).lean<Doc[]>();
      return docs.map(fromDoc);
    },
    async list(filter, q) {
      const f: Doc = { workspaceId: filter.workspaceId };
      if (filter.programId !== undefined) f.programId = filter.programId;
      if (filter.status !== undefined) f.status = filter.status;
      const page = await pageOf<Doc>(models().notifications, f, { createdAt: -1, _id: -1 }, q);
      return { ...page, items: page.items.map(fromDoc) };
    },
  };
}
