// The consolidated log in MongoDB: each append reserves a block of seq numbers with one $inc.
import type { LogLine } from '../../domain/types';
import type { LogRepo } from '../store';
import { levelRank } from '../common';
import { isDuplicateKey, toRecord } from './docs';
import type { Models } from './models';
import { insertEach } from './raw-writes';

type Doc = Record<string, unknown>;
const HIDDEN = ['levelRank'];

/** Reserves `n` seq numbers with one $inc; resolves the first. Module functions, not closures made per
 *  append: a short-lived closure's optimized code dies with it at each full GC and is compiled again. */
async function reserve(m: Models, n: number): Promise<number> {
  // Two first-ever upserts can race on the counter's _id: the loser simply increments the winner's.
  let counter: unknown;
  try {
    counter = await incrementSeq(m, n);
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    counter = await incrementSeq(m, n);
  }
  const last = Number((counter as Doc | null)?.seq);
  if (!Number.isFinite(last)) throw new Error('log sequence counter could not be reserved');
  return last - n + 1;
}

function incrementSeq(m: Models, n: number): Promise<unknown> {
  return m.counters.collection.findOneAndUpdate({ _id: 'logs' as never }, { $inc: { seq: n } }, { upsert: true, returnDocument: 'after', includeResultMetadata: false });
}

/** A plain document of the schema's fields with its seq (no mongoose document, no copy: the sink writes one
 *  per message sent). The seq is the _id: no second unique index per line. */
function logDoc(l: LogLine, seq: number): Doc {
  return {
    _id: seq, seq, time: l.time instanceof Date ? l.time : new Date(l.time), level: l.level, levelRank: levelRank(l.level),
    process: l.process, message: l.message, notificationId: l.notificationId, messageId: l.messageId, meta: l.meta, workspaceId: l.workspaceId,
  };
}

export function logRepo(models: () => Models): LogRepo {
  return {
    async append(lines) {
      if (lines.length === 0) return;
      const m = models();
      // The unique _id (the seq) is the final guard: some servers (mongo-java-server) can hand two
      // concurrent $inc callers the same post-image, so a colliding remainder takes a fresh block.
      let pending = lines;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === 5) throw new Error('log sequence numbers kept colliding');
        const first = await reserve(m, pending.length);
        const docs: Doc[] = [];
        for (let i = 0; i < pending.length; i++) docs.push(logDoc(pending[i], first + i));
        try {
          // One insert command (no insertMany bookkeeping per line: a busy worker writes a line per message sent).
          await insertEach(m.logs, docs, true);
          pending = [];
        } catch (e) {
          const errors = ([] as Array<{ index: number }>).concat(((e as { writeErrors?: unknown }).writeErrors as never) ?? []);
          if (!isDuplicateKey(e) || errors.length === 0) throw e;
          pending = pending.slice(errors[0].index);
        }
      }
    },
    async query(q) {
      if (q.limit <= 0) return [];
      const filter: Doc = {};
      if (q.workspaceId !== undefined) filter.workspaceId = q.workspaceId;
      if (q.notificationId !== undefined) filter.notificationId = q.notificationId;
      if (q.messageId !== undefined) filter.messageId = q.messageId;
      if (q.process !== undefined) filter.process = q.process;
      if (q.level !== undefined) filter.levelRank = { $lte: levelRank(q.level) };
      if (q.since !== undefined || q.until !== undefined) {
        filter.time = { ...(q.since !== undefined ? { $gte: q.since } : {}), ...(q.until !== undefined ? { $lte: q.until } : {}) };
      }
      // The operator's text matched literally, ignoring case.
      if (q.grep !== undefined) filter.message = { $regex: q.grep.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
      if (q.afterSeq !== undefined) filter.seq = { $gt: q.afterSeq };
      const docs = await models().logs.find(filter).sort({ seq: q.newest ? -1 : 1 }).limit(q.limit).lean<Doc[]>();
      if (q.newest) docs.reverse();
      return docs.map((d) => toRecord<LogLine>(d, HIDDEN));
    },
  };
}
