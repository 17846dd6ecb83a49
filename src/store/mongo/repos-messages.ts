// Messages in MongoDB: idempotent bulk insert and compare-and-set status transitions.
import { randomBytes } from 'node:crypto';
import type { Message, MessageStatus, StatusChange } from '../../domain/types';
import type { MessageRepo, NewMessage } from '../store';
import { groupCommit, type Outcome } from '../group-commit';
import { duplicateIndexes, findByIdLists, pageOf } from './docs';
import { allUsableExpected } from '../transition-image';
import { compareAndSet, imageOf } from './message-cas';
import type { Models } from './models';
import { findByIds, insertEach, updateEach } from './raw-writes';
import { CAS_TOKEN, fromDoc, packChange, partKey, storedSms } from './message-docs';

type Doc = Record<string, unknown>;

/** The post-image, as mongoose's `{new: true}`; undefined nested values are left out, not stored as null. */
const WRITE_OPTS = { returnDocument: 'after', ignoreUndefined: true } as const;

/** Pauses before the read-back of a batch claim is tried again. */
const READ_BACK_RETRY_MS = [200, 1_000, 3_000];

async function withRetries<T>(fn: () => Promise<T>, pausesMs: number[]): Promise<T> {
  for (const pause of pausesMs) {
    try {
      return await fn();
    } catch {
      await new Promise((r) => setTimeout(r, pause));
    }
  }
  return fn();
}

/** Largest estimated insert sent as one raw command. */
const RAW_INSERT_BYTES = 8 * 1024 * 1024;

/** Claim tokens: unique to this process (random) and to each batch (counted). */
const TOKEN_PREFIX = randomBytes(9).toString('base64url');
let batches = 0;

export function messageRepo(models: () => Models): MessageRepo {
  const coll = () => models().messages.collection;
  const find = async (filter: Doc, sort: Record<string, 1 | -1>, limit: number): Promise<Message[]> => {
    if (limit <= 0) return [];
    const docs = await models().messages.find(filter).sort(sort).limit(limit).lean<Doc[]>();
    return docs.map(fromDoc);
  };

  /**
   * The batches of fan-outs running together (a stream of small notifications) share one unordered insert
   * (one majority-acknowledged, journaled write); each caller learns which of its own ids were new.
   */
  const insertGrouped = groupCommit(
    async (batches: NewMessage[][]): Promise<Array<Outcome<string[]>>> => {
      const model = models().messages;
      const now = new Date();
      // What a mongoose document would store (schema field order, its defaults), without its ~90 µs of CPU per message.
      const fields = Object.entries(model.schema.paths as Record<string, { defaultValue?: unknown }>);
      const docs: Doc[] = [];
      /** A generous bound of the insert command's size (UTF-16 units taken as 3 bytes, SMS parts as a second copy of the text). */
      let bytes = 0;
      for (const msgs of batches) {
        for (const msg of msgs) {
          const c = msg.content;
          bytes += 1024 + 3 * (2 * (c?.text?.length ?? 0) + (c?.html?.length ?? 0) + (c?.subject?.length ?? 0));
          const m = msg as unknown as Doc;
          const d: Doc = {};
          for (const [k, { defaultValue: def }] of fields) {
            if (k === '_id') d._id = msg.id;
            else if (k === 'createdAt' || k === 'updatedAt') d[k] = now;
            else if (k === 'statusHistory') d[k] = (msg.statusHistory ?? []).map(packChange);
            else if (k === 'sms') d[k] = storedSms(msg.sms, msg.content);
            else d[k] = m[k] !== undefined ? m[k] : typeof def === 'function' ? def() : def;
          }
          docs.push(d);
        }
      }
      // Unordered: duplicates are skipped (a resumed fan-out); undefined fields stay out of the document.
      let failed = new Set<number>();
      try {
        // One raw insert command (~20 µs a message less than insertMany's bulk bookkeeping) while it surely fits
        // one command (16 MB); bigger groups (large e-mail bodies, huge batches) go through insertMany, which splits.
        // Retried once as insertMany would be: the _ids are fixed, a repeat's duplicates count as stored.
        if (bytes <= RAW_INSERT_BYTES) await insertEach(model, docs, false, { retryOnce: true });
        else await model.collection.insertMany(docs, { ordered: false, ignoreUndefined: true });
      } catch (e) {
        failed = duplicateIndexes(e);
      }
      let at = 0;
      return batches.map((msgs) => {
        const inserted = msgs.filter((_, i) => !failed.has(at + i)).map((m) => m.id);
        at += msgs.length;
        return { ok: true, value: inserted };
      });
    },
    { maxBatch: 32, maxInFlight: 4 },
  );

  return {
    async insertMany(msgs) {
      if (msgs.length === 0) return [];
      return insertGrouped(msgs);
    },
    // The worker's hot path (get, transition) goes to the driver's collection: no query casting, no
    // hydration; the values are already the stored types (strings, numbers, Dates).
    async get(id) {
      const d = await coll().findOne({ _id: id as never });
      return d ? fromDoc(d) : null;
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const docs = await findByIdLists(ids, async (list) => (await findByIds(models().messages, list)) ?? (await coll().find({ _id: { $in: list } as never }).toArray()));
      return docs.map(fromDoc);
    },
    async transition(id, from, to, opts = {}) {
      const { filter, update } = compareAndSet(id, from, to, opts);
      const d = await coll().findOneAndUpdate(filter as never, update, WRITE_OPTS);
      return d ? fromDoc(d) : null;
    },
    async transitionEach(changes) {
      if (changes.length === 0) return 0;
      return (await updateEach(models().messages, changes.map(({ id, from, to, opts }) => compareAndSet(id, from, to, opts ?? {})))).matched;
    },
    async transitionEachReturning(changes) {
      if (changes.length === 0) return [];
      // One value per batch (this process's random prefix and a count, no random draw per batch): the index makes each write's token its own.
      const batch = `${TOKEN_PREFIX}${(++batches).toString(36)}`;
      // Loops, not callbacks made per call: a short-lived closure's optimized code dies with it at each full GC and is compiled again.
      const tokens: string[] = [];
      const writes: Array<ReturnType<typeof compareAndSet>> = [];
      for (let i = 0; i < changes.length; i++) {
        const { id, from, to, opts } = changes[i];
        tokens.push(`${batch}:${i}`);
        writes.push(compareAndSet(id, from, to, opts ?? {}, tokens[i]));
      }
      const res = await updateEach(models().messages, writes);
      // Every compare-and-set matched (ids are distinct) and the callers sent their copies: no read-back needed.
      if (res.matched === changes.length && allUsableExpected(changes)) {
        const images: Message[] = [];
        for (let i = 0; i < changes.length; i++) images.push(imageOf(changes[i].opts!.expected!, writes[i].update, writes[i].change));
        return images;
      }
      // The writes landed: losing the answer now would leave leases nobody holds, so read again a few times (the tokens make it safe).
      const docs = await withRetries(() => coll().find({ _id: { $in: changes.map((c) => c.id) } as never }).toArray(), READ_BACK_RETRY_MS);
      const byId = new Map(docs.map((d) => [String(d._id), d]));
      // Ours only if our token is still there and nobody moved the message on since.
      return changes.map((c, i) => {
        const d = byId.get(c.id);
        return d && d[CAS_TOKEN] === tokens[i] && d.status === c.to ? fromDoc(d) : null;
      });
    },
    async transitionMany(ids, from, to, opts = {}) {
      if (ids.length === 0) return 0;
      const at = opts.at ?? new Date();
      const change: StatusChange = opts.reason === undefined ? { status: to, at } : { status: to, at, reason: opts.reason };
      const update: Doc = { $set: { status: to, updatedAt: new Date() }, $push: { statusHistory: packChange(change) } };
      const status = from.length === 1 ? from[0] : { $in: from };
      // One updateOne per id rather than one updateMany on `_id: {$in}`: each filter is an exact {_id, status} (indexed everywhere).
      const res = await coll().bulkWrite(
        ids.map((id) => ({ updateOne: { filter: { _id: id, status } as never, update } })),
        { ordered: false, ignoreUndefined: true },
      );
      return res.matchedCount;
    },
    async list(notificationId, filter, q) {
      const f: Doc = { notificationId };
      if (filter.status !== undefined) f.status = filter.status;
      if (filter.channel !== undefined) f.channel = filter.channel;
      const page = await pageOf<Doc>(models().messages, f, { createdAt: 1, _id: 1 }, q);
      return { ...page, items: page.items.map(fromDoc) };
    },
    async countByStatus(notificationId) {
      const rows = await models().messages.aggregate<{ _id: MessageStatus; n: number }>([
        { $match: { notificationId } },
        { $group: { _id: '$status', n: { $sum: 1 } } },
      ]);
      return Object.fromEntries(rows.map((r) => [r._id, r.n]));
    },
    async findByProviderMessageId(providerMessageId) {
      const [m] = await find({ providerMessageIds: providerMessageId }, { createdAt: -1 }, 1);
      return m ?? null;
    },
    async recordPartStatus(id, providerMessageId, status, from) {
      const field = `partStatuses.${partKey(providerMessageId)}`;
      const d = await models()
        .messages.findOneAndUpdate(
          { _id: id, $or: [{ [field]: { $exists: false } }, { [field]: { $in: from } }] },
          { $set: { [field]: status, updatedAt: new Date() } },
          { new: true, strict: false },
        )
        .lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async noteProviderStatus(id, note) {
      const current = await coll().findOne({ _id: id as never }, { projection: { status: 1 } });
      if (!current) return null;
      const change: StatusChange = { status: current.status as MessageStatus, at: note.at ?? new Date(), reason: note.reason, provider: note.provider, providerStatus: note.providerStatus };
      const d = await coll().findOneAndUpdate(
        { _id: id as never },
        { $set: { providerStatus: note.providerStatus, updatedAt: new Date() }, $push: { statusHistory: packChange(change) as never } },
        WRITE_OPTS,
      );
      return d ? fromDoc(d) : null;
    },
    // The sweeps' filters list first what rules most messages out, as equality where one value: a server
    // without a query planner (mongo-java-server) scans every message each sweep, key by key in this order.
    async findStale(statuses, updatedBefore, limit) {
      return find({ status: statuses.length === 1 ? statuses[0] : { $in: statuses }, updatedAt: { $lt: updatedBefore } }, { updatedAt: 1, _id: 1 }, limit);
    },
    async changedSince(workspaceId, after, upTo, limit) {
      const keyset = { $or: [{ updatedAt: { $gt: after.at } }, { updatedAt: after.at, _id: { $gt: after.id } }] };
      return find({ $and: [{ workspaceId, updatedAt: { $lte: upTo } }, keyset] } as Doc, { updatedAt: 1, _id: 1 }, limit);
    },
    async findExpired(statuses, now, limit) {
      return find({ validUntil: { $lt: now }, status: statuses.length === 1 ? statuses[0] : { $in: statuses } }, { validUntil: 1, _id: 1 }, limit);
    },
    async *stream(filter, batchSize = 500) {
      const base: Doc = {};
      if (filter.notificationId !== undefined) base.notificationId = filter.notificationId;
      if (filter.workspaceId !== undefined) base.workspaceId = filter.workspaceId;
      if (filter.createdFrom || filter.createdBefore) {
        base.createdAt = { ...(filter.createdFrom ? { $gte: filter.createdFrom } : {}), ...(filter.createdBefore ? { $lt: filter.createdBefore } : {}) };
      }
      const limit = Math.max(1, Math.floor(batchSize));
      let after: { c: Date; id: string } | undefined;
      for (;;) {
        const keyset = after ? [{ $or: [{ createdAt: { $gt: after.c } }, { createdAt: after.c, _id: { $gt: after.id } }] }] : [];
        const docs = await coll().find({ $and: [base, ...keyset] } as never).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
        for (const d of docs) yield fromDoc(d);
        if (docs.length < limit) return;
        const last = docs[docs.length - 1];
        after = { c: last.createdAt as Date, id: String(last._id) };
      }
    },
    async findByNotification(notificationId, statuses, limit) {
      return find({ notificationId, status: { $in: statuses } }, { _id: 1 }, limit);
    },
    async extendLeases(leases, until) {
      if (leases.length === 0) return 0;
      // Which are still `sending` in the caller's attempt, read by _id; then a compare-and-set on exactly
      // {_id, status} each. A filter with `attempts` too matched no index on mongo-java-server: every lease
      // scanned the whole collection (16 ms a lease at 50,000 messages, ~80 leases every third of a lease).
      // An attempt taken over between the read and the write is matched too: the write may only move a
      // lease on ($max), never back. Our `until` was computed before the read, so it is behind the lease
      // the new attempt set at its claim: a $set would shorten that live attempt's lease (to the past,
      // if this worker stalled) and let a third worker take the message over and send it again.
      const attempts = new Map(leases.map((l) => [l.id, l.attempts]));
      const docs = await findByIdLists([...attempts.keys()], (list) => coll().find({ _id: { $in: list } as never }, { projection: { status: 1, attempts: 1 } }).toArray());
      const held = docs.filter((d) => d.status === 'sending' && d.attempts === attempts.get(String(d._id)));
      if (held.length === 0) return 0;
      return (await updateEach(models().messages, held.map((d) => ({ filter: { _id: d._id, status: 'sending' }, update: { $max: { leaseUntil: until } } })))).modified;
    },
  };
}
