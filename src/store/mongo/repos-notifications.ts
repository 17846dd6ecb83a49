// Notifications in MongoDB: transitions are one findOneAndUpdate conditioned on the status.
import type { Notification } from '../../domain/types';
import type { NotificationRepo } from '../store';
import { OWNED_IMMUTABLE } from '../common';
import { ConflictError } from '../../domain/errors';
import { groupCommit, type Outcome } from '../group-commit';
import { duplicateIndexes, pageOf, patchUpdate, toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;

/** A stored dispatch sub-document without nulls (a cleared cursor is absent). */
function fromDoc(d: Doc): Notification {
  const n = toRecord<Notification>(d);
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
          await model.collection.insertMany(rows.map((r) => r.doc) as never[], { ordered: false, ignoreUndefined: true });
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
        .notifications.findOneAndUpdate({ _id: id, status: { $in: from } }, update, { new: true })
        .lean<Doc>();
      return d ? fromDoc(d) : null;
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
