// The consolidated log in MongoDB: each append reserves a block of seq numbers with one $inc.
import type { LogLine } from '../../domain/types';
import type { LogRepo } from '../store';
import { levelRank } from '../common';
import { toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;
const HIDDEN = ['levelRank'];

export function logRepo(models: () => Models): LogRepo {
  return {
    async append(lines) {
      if (lines.length === 0) return;
      const m = models();
      const counter = await m.counters.collection.findOneAndUpdate(
        { _id: 'logs' as never },
        { $inc: { seq: lines.length } },
        { upsert: true, returnDocument: 'after', includeResultMetadata: false },
      );
      const last = Number((counter as Doc | null)?.seq);
      if (!Number.isFinite(last)) throw new Error('log sequence counter could not be reserved');
      const first = last - lines.length + 1;
      const docs = lines.map(({ seq: _ignored, ...line }, i) =>
        new m.logs({ ...line, seq: first + i, levelRank: levelRank(line.level) }).toObject(),
      );
      await m.logs.collection.insertMany(docs, { ordered: true });
    },
    async query(q) {
      if (q.limit <= 0) return [];
      const filter: Doc = {};
      if (q.notificationId !== undefined) filter.notificationId = q.notificationId;
      if (q.messageId !== undefined) filter.messageId = q.messageId;
      if (q.process !== undefined) filter.process = q.process;
      if (q.level !== undefined) filter.levelRank = { $lte: levelRank(q.level) };
      if (q.since !== undefined) filter.time = { $gte: q.since };
      if (q.afterSeq !== undefined) filter.seq = { $gt: q.afterSeq };
      const docs = await models().logs.find(filter).sort({ seq: 1 }).limit(q.limit).lean<Doc[]>();
      return docs.map((d) => toRecord<LogLine>(d, HIDDEN));
    },
  };
}
