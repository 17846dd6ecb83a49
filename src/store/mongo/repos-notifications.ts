// Notifications in MongoDB: transitions are one findOneAndUpdate conditioned on the status.
import type { Notification } from '../../domain/types';
import type { NotificationRepo } from '../store';
import { OWNED_IMMUTABLE } from '../common';
import { pageOf, patchUpdate, toRecord } from './docs';
import type { Models } from './models';
import { createDoc } from './repos-catalog';

type Doc = Record<string, unknown>;

/** A stored dispatch sub-document without nulls (a cleared cursor is absent). */
function fromDoc(d: Doc): Notification {
  const n = toRecord<Notification>(d);
  n.dispatch = toRecord<Notification['dispatch']>((d.dispatch as Doc) ?? {});
  n.dispatch.messages ??= 0;
  return n;
}

export function notificationRepo(models: () => Models): NotificationRepo {
  return {
    async create(n) {
      const created = await createDoc<Doc>(models().notifications, { ...n, dispatch: n.dispatch ?? { messages: 0 } });
      return fromDoc(created);
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
