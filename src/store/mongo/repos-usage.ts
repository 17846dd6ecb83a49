// Usage counters in MongoDB: one upsert with $inc per row, all of a batch in one unordered update command.
// A recipient's usage is counted from its messages (index workspaceId_1_userId_1_createdAt_1).
import { USAGE_COLUMNS, USAGE_CREATED_SLACK_MS, usageHoursCounter, usageRowId, zeroCounters, type UsageDelta, type UsageHour } from '../../domain/usage';
import type { UsageQuery, UsageRepo } from '../store';
import { isDuplicateKey } from './docs';
import { fromDoc } from './message-docs';
import type { Models } from './models';
import { updateEach, type UpdateOp } from './raw-writes';

type Doc = Record<string, unknown>;

function upsertOp(d: UsageDelta): UpdateOp {
  // A loop, not entries/filter/fromEntries: two rows per message sent.
  const $inc: Record<string, number> = {};
  const counts = d.counts as Record<string, number | undefined>;
  for (const c in counts) if (counts[c]) $inc[c] = counts[c]!;
  return {
    filter: { _id: usageRowId(d) },
    update: { $inc, $setOnInsert: { workspaceId: d.workspaceId, hour: d.hour, dimension: d.dimension, key: d.key, channel: d.channel, provider: d.provider } },
    upsert: true,
  };
}

/** The fields a message's usage is counted from (domain/usage.ts UsageFacts); of its history, the first change (its acceptance). */
const FACTS = { channel: 1, status: 1, statusHistory: { $slice: 1 }, provider: 1, sentAt: 1, 'sms.segments': 1, cost: 1, createdAt: 1 };
/** Documents a cursor batch holds: a recipient with very many messages is counted through a bounded window of them. */
const BATCH = 1000;

async function recipientHours(models: Models, q: UsageQuery): Promise<UsageHour[]> {
  const createdAt = { $gte: new Date(q.from.getTime() - USAGE_CREATED_SLACK_MS), $lt: new Date(q.to.getTime() + USAGE_CREATED_SLACK_MS) };
  const counter = usageHoursCounter(q);
  const cursor = models.messages.collection.find({ workspaceId: q.workspaceId, userId: q.key, createdAt }, { projection: FACTS, batchSize: BATCH });
  for await (const d of cursor) counter.add(fromDoc(d as Doc));
  return counter.hours();
}

export function usageRepo(models: () => Models): UsageRepo {
  const coll = () => models().usageRollups.collection;
  return {
    async add(deltas) {
      if (deltas.length === 0) return;
      const ops = deltas.map(upsertOp);
      // One update command (no bulkWrite bookkeeping per row: a busy worker writes two rows per message).
      try {
        await updateEach(models().usageRollups, ops);
      } catch (e) {
        // Two first upserts of one row raced on _id: the loser's increment is applied again (the row exists now).
        const failed = ([] as Array<{ index: number }>).concat((e as { writeErrors?: never }).writeErrors ?? []);
        if (!isDuplicateKey(e) || failed.length === 0) throw e;
        await updateEach(models().usageRollups, failed.map((w) => ops[w.index]));
      }
    },
    async hourly(q) {
      if (q.dimension === 'user') return recipientHours(models(), q);
      const match: Doc = { workspaceId: q.workspaceId, dimension: q.dimension, key: q.key, hour: { $gte: q.from, $lt: q.to } };
      if (q.channel !== undefined) match.channel = q.channel;
      if (q.provider !== undefined) match.provider = q.provider;
      const group: Doc = { _id: '$hour' };
      for (const c of USAGE_COLUMNS) group[c] = { $sum: `$${c}` };
      const rows = await coll().aggregate<Doc>([{ $match: match }, { $group: group }, { $sort: { _id: 1 } }]).toArray();
      return rows.map((r): UsageHour => {
        const counts = zeroCounters();
        for (const c of USAGE_COLUMNS) counts[c] = Number(r[c] ?? 0);
        return { hour: new Date(r._id as Date), counts };
      });
    },
  };
}
