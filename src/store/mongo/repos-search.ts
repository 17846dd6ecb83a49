// Operator look-ups in MongoDB: a message by recipient, notifications by creation time.
import type { SearchRepo } from '../store';
import { clampPage } from '../common';
import type { Models } from './models';

type Doc = Record<string, unknown>;

export function searchRepo(models: () => Models): SearchRepo {
  return {
    async messageIdsTo(workspaceId, to, limit) {
      if (limit <= 0) return [];
      const docs = await models().messages.find({ workspaceId, to }, { _id: 1 }).sort({ createdAt: -1, _id: -1 }).limit(Math.floor(limit)).lean<Doc[]>();
      return docs.map((d) => String(d._id));
    },
    async notificationIds(filter, query) {
      const { limit, offset } = clampPage(query);
      const f: Doc = { workspaceId: filter.workspaceId };
      if (filter.programId !== undefined) f.programId = filter.programId;
      if (filter.status !== undefined) f.status = filter.status;
      if (filter.createdFrom || filter.createdBefore) {
        f.createdAt = { ...(filter.createdFrom ? { $gte: filter.createdFrom } : {}), ...(filter.createdBefore ? { $lt: filter.createdBefore } : {}) };
      }
      const model = models().notifications;
      const [total, docs] = await Promise.all([
        model.countDocuments(f),
        limit === 0 ? Promise.resolve([] as Doc[]) : model.find(f, { _id: 1 }).sort({ createdAt: -1, _id: -1 }).skip(offset).limit(limit).lean<Doc[]>(),
      ]);
      return { items: docs.map((d) => String(d._id)), total, limit, offset };
    },
  };
}
