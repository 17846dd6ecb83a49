// Google Sheets export targets and their staged rows in MongoDB. A staged row's _id is
// `<targetId>|<rowId>`, so staging it again is a duplicate key, ignored; exported rows stay
// (without their values) so they are never staged twice.
import type { SheetExport, StagedRow } from '../../domain/sheets';
import type { SheetExportRepo } from '../store-sheets';
import { duplicateIndexes, toRecord } from './docs';
import type { Models } from './models';

type Doc = Record<string, unknown>;

const fromDoc = (d: Doc): SheetExport => {
  const t = toRecord<SheetExport>(d);
  return { ...t, header: t.header ?? [], inflight: t.inflight === true };
};

const rowKey = (targetId: string, rowId: string) => `${targetId}|${rowId}`;

export function sheetExportRepo(models: () => Models): SheetExportRepo {
  const get = async (id: string): Promise<SheetExport | null> => {
    const d = await models().sheetExports.findById(id).lean<Doc>();
    return d ? fromDoc(d) : null;
  };

  return {
    async create(t) {
      const at = new Date();
      const { id, ...rest } = t;
      const doc: Doc = { _id: id, ...rest, kind: t.kind ?? 'events', status: 'active', header: [], rowsExported: 0, inflight: false, createdAt: at, updatedAt: at };
      for (const k of Object.keys(doc)) if (doc[k] === undefined) delete doc[k];
      await models().sheetExports.collection.insertOne(doc as never);
      return (await get(id))!;
    },
    get,
    async list(filter) {
      const q: Doc = {};
      for (const k of ['workspaceId', 'programId', 'status', 'kind', 'parentId'] as const) if (filter[k] !== undefined) q[k] = filter[k];
      const docs = await models().sheetExports.find(q).sort({ createdAt: 1, _id: 1 }).lean<Doc[]>();
      return docs.map(fromDoc);
    },
    async delete(id) {
      await models().sheetRows.collection.deleteMany({ targetId: id });
      return (await models().sheetExports.collection.deleteOne({ _id: id as never })).deletedCount > 0;
    },
    async update(id, patch, addRows = 0) {
      const $set: Doc = { updatedAt: new Date() };
      const $unset: Doc = {};
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined) $unset[k] = '';
        else $set[k] = v;
      }
      const update: Doc = { $set, $inc: { rowsExported: addRows } };
      if (Object.keys($unset).length) update.$unset = $unset;
      const d = await models().sheetExports.findOneAndUpdate({ _id: id }, update, { new: true }).lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async claim(id, owner, until, now) {
      const d = await models()
        .sheetExports.findOneAndUpdate(
          { _id: id, $or: [{ leaseOwner: { $exists: false } }, { leaseOwner: null }, { leaseOwner: owner }, { leaseUntil: { $lt: now } }] },
          { $set: { leaseOwner: owner, leaseUntil: until } },
          { new: true },
        )
        .lean<Doc>();
      return d ? fromDoc(d) : null;
    },
    async release(id, owner) {
      await models().sheetExports.collection.updateOne({ _id: id as never, leaseOwner: owner }, { $unset: { leaseOwner: '', leaseUntil: '' } });
    },
    async stage(rows) {
      if (rows.length === 0) return 0;
      const docs = rows.map((r) => ({ _id: rowKey(r.targetId, r.rowId), targetId: r.targetId, rowId: r.rowId, record: JSON.stringify(r.record), createdAt: r.createdAt }));
      try {
        const res = await models().sheetRows.collection.insertMany(docs as never[], { ordered: false });
        return res.insertedCount;
      } catch (e) {
        return rows.length - duplicateIndexes(e).size;
      }
    },
    async pending(targetId, limit) {
      const docs = await models().sheetRows.collection.find({ targetId, exportedAt: null }).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
      return docs.map((d): StagedRow => ({ targetId, rowId: String(d.rowId), record: JSON.parse(String(d.record)), createdAt: d.createdAt as Date }));
    },
    async pendingCount(targetId) {
      return models().sheetRows.collection.countDocuments({ targetId, exportedAt: null });
    },
    async pruneExported(before) {
      return (await models().sheetRows.collection.deleteMany({ exportedAt: { $ne: null, $lt: before } })).deletedCount;
    },
    async markExported(targetId, rowIds, at) {
      if (rowIds.length === 0) return 0;
      const res = await models().sheetRows.collection.updateMany(
        { _id: { $in: rowIds.map((r) => rowKey(targetId, r)) } as never, exportedAt: null },
        { $set: { exportedAt: at }, $unset: { record: '' } },
      );
      return res.modifiedCount;
    },
  };
}
