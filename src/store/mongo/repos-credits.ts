// Credit accounts and their ledger in MongoDB (no transactions): every balance change is one
// conditional update of the account document (`balance >= cost` in the filter, then $inc), and
// each movement's ledger id is unique, so a repeated movement is never applied twice.
//
// A batch reserve debits the account and records the batch on it in that same update (a pending
// reserve: its messages and costs), then writes the ledger entries, then takes the batch off the
// account. A process that dies in between leaves the batch on the account, and `settlePending`
// (the sweeper) writes its entries: the ledger always comes to equal the balance again.
// Refunds go the other way round: entries first (pending, with their batch), then the credit
// together with the batch's mark on the account (once), then the entries are done. A top-up or
// adjustment (and an opening balance) records its entry on the account with the change itself.
import { randomUUID } from 'node:crypto';
import type { CreditAccount, LedgerEntry } from '../../domain/credits';
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import type { CreditRepo, ReserveItem } from '../store';
import { refundId, reserveId } from '../store-credits';
import { clampPage } from '../common';
import { HELD, fromAccount, fromEntry, insertAllowingDuplicates, pendingItems, pendingReserve, toDoc, type Doc, type PendingReserve } from './credit-docs';
import { findByIdLists, isDuplicateKey } from './docs';
import { insertEach, updateEach as updateEachRaw } from './raw-writes';
import type { Models } from './models';

/** Movement ids an account remembers (top-ups and adjustments): the guard that applies each once. */
const RECENT_MOVES = 500;
/** A reserve entry is charged by marking it settled: see `HELD` in credit-docs.ts. */
const SETTLED = { $set: { settled: true } };
/** Conditional reserve attempts against concurrent spenders before giving up on the rest of a batch. */
const RESERVE_ATTEMPTS = 8;

export function creditRepo(models: () => Models): CreditRepo {
  const accounts = () => models().creditAccounts.collection;
  const ledger = () => models().creditLedger.collection;
  /**
   * The same update of each entry, a statement per `_id` in one update command (raw-writes.ts, with the
   * connection's write concern): an updateMany on `_id: {$in}` makes mongo-java-server test each entry
   * against the whole list, and the driver's bulk API costs 3x the client CPU. Resolves how many changed.
   */
  const updateEach = async (ids: string[], update: Doc): Promise<number> =>
    (await updateEachRaw(models().creditLedger, ids.map((_id) => ({ filter: { _id }, update })))).modified;
  const get = async (ws: string): Promise<CreditAccount | null> => {
    const d = await accounts().findOne({ _id: ws as never });
    return d ? fromAccount(d) : null;
  };
  const entry = async (id: string): Promise<LedgerEntry | null> => {
    const d = await ledger().findOne({ _id: id as never });
    return d ? fromEntry(d) : null;
  };
  const sum = async (match: Doc): Promise<number> => {
    const [r] = await ledger().aggregate([{ $match: match }, { $group: { _id: null, s: { $sum: '$amount' } } }]).toArray();
    return Number(r?.s ?? 0);
  };
  /** One conditional debit, applied only if the balance covers it, recording the batch on the account in the same update. */
  const debit = async (ws: string, items: ReserveItem[]): Promise<PendingReserve | null> => {
    const total = items.reduce((a, i) => a + i.cost, 0);
    const batch = pendingReserve(
      randomUUID(), new Date(),
      items.map((i) => ({ m: i.messageId, n: i.notificationId, ...(i.campaignId ? { c: i.campaignId } : {}), cost: i.cost })),
    );
    const res = await accounts().updateOne(
      { _id: ws as never, balance: { $gte: total } },
      { $inc: { balance: -total }, $set: { updatedAt: new Date() }, $push: { pendingReserves: batch } } as never,
    );
    return res.modifiedCount === 1 ? batch : null;
  };
  /**
   * Writes a debited batch's ledger entries and takes it off the account; safe to run again, and by two
   * processes at once. A message reserved by an earlier batch (a resumed fan-out) is covered by that one,
   * so its cost goes back, in the same update that takes the batch off: once.
   */
  const finish = async (ws: string, batch: PendingReserve): Promise<void> => {
    const items = pendingItems(batch);
    const docs: Doc[] = items.map((i) => {
      const d: Doc = { _id: reserveId(i.m), workspaceId: ws, kind: 'reserve', amount: -i.cost, state: 'held', messageId: i.m, notificationId: i.n };
      if (i.c) d.campaignId = i.c;
      d.createdAt = batch.at;
      d.batch = batch.id;
      return d;
    });
    // One raw insert command (insertMany's per-document bookkeeping cost ~10 µs of client CPU a message);
    // retried once after a retryable error as insertMany would be: the _ids are fixed, a repeat's duplicates are ours.
    const dups = await insertAllowingDuplicates(() => insertEach(models().creditLedger, docs, false, { retryOnce: true }));
    let back = 0;
    if (dups.size > 0) {
      const ids = [...dups].map((i) => docs[i]._id as string);
      // By `_id` alone (an index lookup everywhere); whose batch it is, is checked here.
      const found = await findByIdLists(ids, (list) => ledger().find({ _id: { $in: list } as never }, { projection: { batch: 1 } }).toArray());
      const ours = new Set(found.filter((d) => d.batch === batch.id).map((d) => String(d._id)));
      for (const i of dups) if (!ours.has(docs[i]._id as string)) back += items[i].cost;
    }
    await accounts().updateOne(
      { _id: ws as never, 'pendingReserves.id': batch.id },
      { $inc: { balance: back }, $set: { updatedAt: new Date() }, $pull: { pendingReserves: { id: batch.id } } } as never,
    );
  };
  /** Writes a top-up's or adjustment's entry recorded on the account (once: its id is unique), then takes it off. */
  const writeMove = async (ws: string, move: { id: string; at: Date; entry: Doc }): Promise<void> => {
    await insertAllowingDuplicates(() => ledger().insertOne(move.entry as never));
    await accounts().updateOne({ _id: ws as never }, { $pull: { pendingMoves: { id: move.id } } } as never);
  };
  /**
   * Credits a batch of pending refund entries, once per account: the credit and the batch's mark on
   * the account are one update, conditional on the mark's absence. Then the entries are done, their
   * reservations refunded, and the mark is taken off. Safe to run again, and by two processes at once.
   */
  const creditRefunds = async (batch: string, at: Date, entries: Array<Pick<LedgerEntry, 'workspaceId' | 'amount' | 'messageId'>>): Promise<void> => {
    const byWorkspace = new Map<string, number>();
    for (const e of entries) byWorkspace.set(e.workspaceId, (byWorkspace.get(e.workspaceId) ?? 0) + e.amount);
    await Promise.all(
      [...byWorkspace].map(([ws, amount]) =>
        accounts().updateOne(
          { _id: ws as never, balance: { $ne: null }, 'appliedRefunds.id': { $ne: batch } } as never,
          { $inc: { balance: amount }, $set: { updatedAt: new Date() }, $push: { appliedRefunds: { id: batch, at } } } as never,
        ),
      ),
    );
    // By `_id` alone: a server that only uses an index on exact keys (mongo-java-server) scans the whole ledger otherwise.
    if (entries.length) {
      await updateEach(entries.map((e) => refundId(e.messageId!)), { $unset: { state: 1 } });
      await updateEach(entries.map((e) => reserveId(e.messageId!)), { $set: { state: 'refunded', settled: true } });
    }
    await Promise.all([...byWorkspace.keys()].map((ws) => accounts().updateOne({ _id: ws as never }, { $pull: { appliedRefunds: { id: batch } } } as never)));
  };

  /** The slow path under a low balance or contention: already reserved ones count, then what the balance covers, in order. */
  async function reserveWhatFits(ws: string, items: ReserveItem[]): Promise<{ covered: string[]; debited: ReserveItem[]; batch?: PendingReserve } | 'unmetered'> {
    const existing = await findByIdLists(items.map((i) => reserveId(i.messageId)), (list) => ledger().find({ _id: { $in: list } as never }, { projection: { _id: 1 } }).toArray());
    const before = new Set(existing.map((d) => String(d._id)));
    const fresh = items.filter((i) => !before.has(reserveId(i.messageId)));
    const covered = items.filter((i) => before.has(reserveId(i.messageId))).map((i) => i.messageId);
    for (let attempt = 0; attempt < RESERVE_ATTEMPTS; attempt++) {
      const acc = await get(ws);
      if (!acc || acc.balance === null) return 'unmetered';
      let left = acc.balance;
      const pick = fresh.filter((i) => (i.cost <= left ? ((left -= i.cost), true) : false));
      const total = acc.balance - left;
      if (pick.length === 0) break;
      const batch = total > 0 ? await debit(ws, pick) : null;
      if (batch) return { covered, debited: pick, batch };
    }
    return { covered, debited: [] };
  }

  return {
    async open(ws, opening) {
      const now = new Date();
      const e: LedgerEntry = { id: `top-up:${ws}:opening`, workspaceId: ws, kind: 'top-up', amount: opening.balance ?? 0, balanceAfter: opening.balance ?? 0, note: 'opening balance', createdAt: now };
      const doc: Doc = {
        balance: opening.balance, ...(opening.prices ? { prices: opening.prices } : {}), recentMoves: [],
        pendingMoves: opening.balance ? [{ id: e.id, at: now, entry: toDoc(e) }] : [], createdAt: now, updatedAt: now,
      };
      const res = await accounts()
        .updateOne({ _id: ws as never }, { $setOnInsert: doc }, { upsert: true })
        .catch((err) => (isDuplicateKey(err) ? { upsertedCount: 0 } : Promise.reject(err)));
      if (res.upsertedCount === 1 && opening.balance) await writeMove(ws, { id: e.id, at: now, entry: toDoc(e) });
      return (await get(ws))!;
    },
    get,
    async reserved(ws) {
      return 0 - (await sum({ workspaceId: ws, kind: 'reserve', ...HELD }));
    },
    async move(ws, m) {
      const before = await entry(m.id);
      if (before) return { entry: before, replayed: true };
      const balance: Doc = { $ne: null, ...(m.amount < 0 ? { $gte: -m.amount } : {}) };
      const now = new Date();
      // What the ledger entry will say, recorded with the change itself: a process dying before writing it leaves it here.
      const pendingEntry = toDoc({
        id: m.id, workspaceId: ws, kind: m.kind, amount: m.amount, createdAt: now,
        ...(m.requestHash ? { requestHash: m.requestHash } : {}), ...(m.note ? { note: m.note } : {}),
      });
      const after = await accounts().findOneAndUpdate(
        { _id: ws as never, balance, recentMoves: { $ne: m.id } },
        {
          $inc: { balance: m.amount }, $set: { updatedAt: now },
          $push: { recentMoves: { $each: [m.id], $slice: -RECENT_MOVES }, pendingMoves: { id: m.id, at: now, entry: pendingEntry } },
        } as never,
        { returnDocument: 'after' },
      );
      const acc = after ? fromAccount(after) : await get(ws);
      if (!acc) throw new NotFoundError('workspace', ws);
      if (acc.balance === null) throw new UnprocessableError([{ field: 'workspaceId', reason: 'the workspace is unmetered (credits: null): it has no balance' }]);
      const applied = ((after ?? (await accounts().findOne({ _id: ws as never })))?.recentMoves as string[] | undefined)?.includes(m.id);
      if (!after && !applied) throw new UnprocessableError([{ field: 'amount', reason: 'would take the balance below zero' }]);
      // Applied by us, or by a request with the same id that is finishing (or died before its entry): one entry either way.
      const e: LedgerEntry = {
        id: m.id, workspaceId: ws, kind: m.kind, amount: m.amount, balanceAfter: acc.balance, createdAt: now,
        ...(m.requestHash ? { requestHash: m.requestHash } : {}), ...(m.note ? { note: m.note } : {}),
      };
      if (!after) await new Promise((r) => setTimeout(r, 100));
      const dup = await insertAllowingDuplicates(() => ledger().insertOne(toDoc(e) as never));
      await accounts().updateOne({ _id: ws as never }, { $pull: { pendingMoves: { id: m.id } } } as never);
      return dup.size > 0 || !after ? { entry: (await entry(m.id)) ?? e, replayed: !after } : { entry: e, replayed: false };
    },
    async reserve(ws, items, opts = {}) {
      const priced = items.filter((i) => i.cost > 0);
      const free = items.filter((i) => i.cost <= 0).map((i) => i.messageId);
      if (priced.length === 0) return free;
      let covered: string[] = [];
      let debited: ReserveItem[] = priced;
      let batch = await debit(ws, priced);
      if (!batch) {
        const r = await reserveWhatFits(ws, priced);
        if (r === 'unmetered') return items.map((i) => i.messageId);
        ({ covered, debited, batch = null } = r);
      }
      if (!batch || debited.length === 0) return [...free, ...covered];
      // The batch is on the account with the debit: from here on its entries are certain to be written.
      const entries = finish(ws, batch);
      if (opts.background) opts.background(entries);
      else await entries;
      return [...free, ...covered, ...debited.map((i) => i.messageId)];
    },
    async charge(ids) {
      if (ids.length === 0) return 0;
      // Each by `_id` alone: `settled` is set, which changes nothing on an entry charged or refunded before.
      return updateEach(ids.map(reserveId), SETTLED);
    },
    async refund(ids) {
      if (ids.length === 0) return [];
      // By `_id` alone (an index lookup everywhere); the state is checked here.
      const held = (await findByIdLists(ids.map(reserveId), (list) => ledger().find({ _id: { $in: list } as never }).toArray())).filter((d) => d.state !== 'refunded').map(fromEntry);
      const now = new Date();
      const refunds: LedgerEntry[] = held.map((r) => ({
        id: refundId(r.messageId!), workspaceId: r.workspaceId, kind: 'refund', amount: -r.amount, messageId: r.messageId,
        ...(r.notificationId ? { notificationId: r.notificationId } : {}), ...(r.campaignId ? { campaignId: r.campaignId } : {}), createdAt: now,
      }));
      if (refunds.length === 0) return [];
      // The unique refund id is what makes it once: only the inserts that went in are credited. They go
      // in marked pending with their batch, so a process that dies before crediting leaves a trace.
      const batch = randomUUID();
      const dups = await insertAllowingDuplicates(() =>
        ledger().insertMany(refunds.map((e) => ({ ...toDoc(e), state: 'pending', batch })) as never[], { ordered: false }),
      );
      const won = refunds.filter((_, i) => !dups.has(i));
      await creditRefunds(batch, now, won);
      return won;
    },
    async settlePending(before) {
      const docs = await accounts().find({ 'pendingReserves.at': { $lt: before } } as never, { projection: { pendingReserves: 1 } }).toArray();
      let settled = 0;
      for (const d of docs) {
        for (const batch of (d.pendingReserves as PendingReserve[] | undefined) ?? []) {
          if (new Date(batch.at).getTime() >= before.getTime()) continue;
          await finish(d._id as unknown as string, batch);
          settled++;
        }
      }
      // Top-ups and adjustments applied to a balance whose entry was never written.
      // Nobody was answered: the entry's balanceAfter is the balance when it is written.
      const moved = await accounts().find({ 'pendingMoves.at': { $lt: before } } as never, { projection: { pendingMoves: 1, balance: 1 } }).toArray();
      for (const d of moved) {
        for (const move of (d.pendingMoves as Array<{ id: string; at: Date; entry: Doc }> | undefined) ?? []) {
          if (new Date(move.at).getTime() >= before.getTime()) continue;
          await writeMove(d._id as unknown as string, { ...move, entry: { balanceAfter: d.balance, ...move.entry } });
          settled++;
        }
      }
      // Refunds written but not (or not known to be) credited.
      const pending = await ledger().find({ kind: 'refund', state: 'pending', createdAt: { $lt: before } }).toArray();
      const batches = new Map<string, { at: Date; entries: LedgerEntry[] }>();
      for (const d of pending) {
        const b = batches.get(d.batch as string) ?? { at: d.createdAt as Date, entries: [] };
        b.entries.push(fromEntry(d));
        batches.set(d.batch as string, b);
      }
      for (const [batch, { at, entries }] of batches) await creditRefunds(batch, at, entries);
      // Marks left on accounts by a process that died after its entries were done.
      const marked = await accounts().find({ 'appliedRefunds.at': { $lt: before } } as never, { projection: { appliedRefunds: 1 } }).toArray();
      for (const d of marked) {
        for (const { id, at } of (d.appliedRefunds as Array<{ id: string; at: Date }> | undefined) ?? []) {
          if (new Date(at).getTime() >= before.getTime() || batches.has(id)) continue;
          if (await ledger().findOne({ batch: id, kind: 'refund', state: 'pending' })) continue;
          await accounts().updateOne({ _id: d._id }, { $pull: { appliedRefunds: { id } } } as never);
        }
      }
      return settled + batches.size;
    },
    async findHeld(before, limit) {
      const docs = await ledger().find({ ...HELD, createdAt: { $lt: before } }).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
      return docs.map(fromEntry);
    },
    async ledger(ws, filter, q) {
      const { limit, offset } = clampPage(q);
      const match: Doc = { workspaceId: ws, ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.messageId ? { messageId: filter.messageId } : {}) };
      const [total, docs] = await Promise.all([
        ledger().countDocuments(match),
        limit === 0 ? Promise.resolve([]) : ledger().find(match).sort({ createdAt: -1, _id: -1 }).skip(offset).limit(limit).toArray(),
      ]);
      return { items: docs.map(fromEntry), total, limit, offset };
    },
    async ledgerSum(ws) {
      return sum({ workspaceId: ws });
    },
  };
}
