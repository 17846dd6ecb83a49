// Many single-document updates in one `update` command: what bulkWrite sends for a batch of
// updateOne operations, without its per-operation bookkeeping (a BSON size pass, statement
// building and batch splitting: about 30 µs of client CPU per update, as much as the rest of
// the worker's store work for a message). Batches here stay far below the server's limits
// (Herald's batches are at most 1,000 updates of well under a kilobyte each).
import type { Model } from 'mongoose';

type Doc = Record<string, unknown>;

export interface UpdateOp {
  filter: Doc;
  update: Doc;
  upsert?: boolean;
}

/** A write error of the batch, as bulkWrite would raise it (mapMongoError reads code and writeErrors). */
class UpdateEachError extends Error {
  constructor(
    readonly code: unknown,
    readonly writeErrors: Array<{ index: number; code?: number; errmsg?: string }>,
  ) {
    super(writeErrors[0]?.errmsg ?? 'update failed');
    this.name = 'MongoBulkWriteError';
  }
}

/** Runs the updates unordered with the connection's write concern; resolves matched (and upserted) and modified counts. */
export async function updateEach(model: Model<any>, ops: UpdateOp[]): Promise<{ matched: number; modified: number }> {
  if (ops.length === 0) return { matched: 0, modified: 0 };
  const db = model.db.db;
  if (!db) throw Object.assign(new Error('mongodb is not connected'), { name: 'MongoNotConnectedError' });
  const command: Doc = { update: model.collection.collectionName, updates: ops.map((o) => (o.upsert ? { q: o.filter, u: o.update, upsert: true } : { q: o.filter, u: o.update })), ordered: false };
  const wc = db.writeConcern;
  if (wc) command.writeConcern = { ...(wc.w !== undefined ? { w: wc.w } : {}), ...(wc.journal !== undefined ? { j: wc.journal } : {}), ...(wc.wtimeoutMS ? { wtimeout: wc.wtimeoutMS } : {}) };
  const res = (await db.command(command, { ignoreUndefined: true })) as { n?: number; nModified?: number; writeErrors?: UpdateEachError['writeErrors']; writeConcernError?: { code?: number; errmsg?: string } };
  if (res.writeErrors?.length) throw new UpdateEachError(res.writeErrors[0].code, res.writeErrors);
  if (res.writeConcernError) throw Object.assign(new Error(res.writeConcernError.errmsg ?? 'write concern error'), { name: 'MongoWriteConcernError', code: res.writeConcernError.code });
  return { matched: res.n ?? 0, modified: res.nModified ?? 0 };
}
