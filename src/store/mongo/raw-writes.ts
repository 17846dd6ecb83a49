// Many single-document writes in one `update` or `insert` command: what bulkWrite and insertMany
// send for a batch, without their per-operation bookkeeping (a BSON size pass, statement
// building and batch splitting: 15-30 µs of client CPU per document, as much as the rest of the
// worker's store work for a message). Batches here stay far below the server's limits
// (Herald's batches are at most 1,000 documents of well under a kilobyte each).
import { Types, type Model } from 'mongoose';

type Doc = Record<string, unknown>;

export interface UpdateOp {
  filter: Doc;
  update: Doc;
  upsert?: boolean;
}

/** A write error of the batch, as bulkWrite would raise it (mapMongoError reads code and writeErrors). */
class RawWriteError extends Error {
  constructor(
    readonly code: unknown,
    readonly writeErrors: Array<{ index: number; code?: number; errmsg?: string }>,
  ) {
    super(writeErrors[0]?.errmsg ?? 'update failed');
    this.name = 'MongoBulkWriteError';
  }
}

/**
 * `retryOnce`: send the command a second time after an error the driver labels a retryable write
 * (a network error, a primary stepping down), as insertMany/bulkWrite do; db.command is never
 * retried by the driver. Only for writes a repeat cannot harm (fixed `_id`s whose duplicates the
 * caller takes as stored, compare-and-sets that tell a second apply): unlike the driver's retry
 * (same transaction number), the server runs a repeat as a new write, so an `$inc` would count twice.
 */
export interface RawWriteOptions {
  retryOnce?: boolean;
}

/** Runs the updates unordered with the connection's write concern; resolves matched (and upserted) and modified counts. */
export async function updateEach(model: Model<any>, ops: UpdateOp[], opts: RawWriteOptions = {}): Promise<{ matched: number; modified: number }> {
  if (ops.length === 0) return { matched: 0, modified: 0 };
  // Loops, not callbacks made per call: a short-lived closure's optimized code dies with it at each full GC.
  const updates: Doc[] = [];
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    updates.push(o.upsert ? { q: o.filter, u: o.update, upsert: true } : { q: o.filter, u: o.update });
  }
  const res = await run(model, { update: model.collection.collectionName, updates, ordered: false }, opts);
  return { matched: res.n ?? 0, modified: res.nModified ?? 0 };
}

/** insertMany's insert, `ordered` as asked: after a write error an ordered insert stops (the error tells where). */
export async function insertEach(model: Model<any>, docs: Doc[], ordered: boolean, opts: RawWriteOptions = {}): Promise<number> {
  if (docs.length === 0) return 0;
  // An _id made here, as the driver does, so a retried insert can never make a second copy.
  const documents: Doc[] = [];
  for (let i = 0; i < docs.length; i++) documents.push(docs[i]._id === undefined ? { _id: new Types.ObjectId(), ...docs[i] } : docs[i]);
  return (await run(model, { insert: model.collection.collectionName, documents, ordered }, opts)).n ?? 0;
}

/**
 * The documents with these `_id`s by one `find` command whose reply is deserialized once. A cursor
 * (collection.find) first indexes every document's fields, then deserializes it: twice the work and
 * garbage for the worker's batch reads. Undefined when the answer did not fit its first batch (the
 * server's 16 MB reply limit): the caller reads with a cursor instead.
 */
export async function findByIds(model: Model<any>, ids: unknown[]): Promise<Doc[] | undefined> {
  if (ids.length === 0) return [];
  const db = model.db.db;
  if (!db) throw Object.assign(new Error('mongodb is not connected'), { name: 'MongoNotConnectedError' });
  const coll = model.collection.collectionName;
  const res = (await db.command({ find: coll, filter: { _id: { $in: ids } }, batchSize: ids.length, singleBatch: true })) as {
    cursor?: { id?: unknown; firstBatch?: Doc[] };
  };
  const cursor = res.cursor;
  if (!cursor || !Array.isArray(cursor.firstBatch)) return undefined;
  if (cursor.id !== undefined && String(cursor.id) !== '0') {
    // More than one batch: leave the server no open cursor, read again the usual way.
    db.command({ killCursors: coll, cursors: [cursor.id] }).catch(() => undefined);
    return undefined;
  }
  return cursor.firstBatch;
}

type Reply = { n?: number; nModified?: number; writeErrors?: RawWriteError['writeErrors']; writeConcernError?: { code?: number; errmsg?: string } };

type Labelled = { hasErrorLabel?: (label: string) => boolean };
const hasLabel = (e: unknown, label: string): boolean => typeof (e as Labelled)?.hasErrorLabel === 'function' && (e as Labelled).hasErrorLabel!(label) === true;
/** The driver's own test (isRetryableWriteError): it labels what a retry may cure. */
const retryableWrite = (e: unknown): boolean => hasLabel(e, 'RetryableWriteError') || hasLabel(e, 'PoolRequstedRetry');

const IGNORE_UNDEFINED = { ignoreUndefined: true } as const;

/** The command with the connection's write concern (majority, journaled); write errors raise. */
async function run(model: Model<any>, command: Doc, opts: RawWriteOptions): Promise<Reply> {
  const db = model.db.db;
  if (!db) throw Object.assign(new Error('mongodb is not connected'), { name: 'MongoNotConnectedError' });
  const wc = db.writeConcern;
  if (wc) command.writeConcern = { ...(wc.w !== undefined ? { w: wc.w } : {}), ...(wc.journal !== undefined ? { j: wc.journal } : {}), ...(wc.wtimeoutMS ? { wtimeout: wc.wtimeoutMS } : {}) };
  let res: Reply;
  try {
    res = (await db.command(command, IGNORE_UNDEFINED)) as Reply;
  } catch (e) {
    if (!opts.retryOnce || !retryableWrite(e)) throw e;
    try {
      res = (await db.command(command, IGNORE_UNDEFINED)) as Reply;
    } catch (again) {
      // As the driver: a retry that wrote nothing tells less than the first error.
      throw hasLabel(again, 'NoWritesPerformed') ? e : again;
    }
  }
  // Write concern first: a batch whose only write errors are duplicates is taken as stored by callers.
  if (res.writeConcernError) throw Object.assign(new Error(res.writeConcernError.errmsg ?? 'write concern error'), { name: 'MongoWriteConcernError', code: res.writeConcernError.code });
  if (res.writeErrors?.length) throw new RawWriteError(res.writeErrors[0].code, res.writeErrors);
  return res;
}
