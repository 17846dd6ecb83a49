// Between MongoDB documents and Herald records, and MongoDB failures as Herald errors.
import type { Model } from 'mongoose';
import { ConflictError, HeraldError, StoreUnavailableError } from '../../domain/errors';
import type { Page, PageQuery } from '../../domain/types';
import { clampPage, splitPatch } from '../common';

type Doc = Record<string, unknown>;

/**
 * The plain record: `_id` becomes `id` (unless the record has its own id field, then it is dropped),
 * top-level nulls are absent fields, and store-only fields are removed.
 */
export function toRecord<T>(doc: Doc, hidden: readonly string[] = []): T {
  // id first, so records print (and serialise) the same way from both stores.
  const out: Doc = !('id' in doc) && typeof doc._id === 'string' ? { id: doc._id } : {};
  for (const k in doc) {
    const v = doc[k];
    if (k === '_id' || k === '__v' || v === null || v === undefined || (hidden.length > 0 && hidden.includes(k))) continue;
    out[k] = v;
  }
  return out as T;
}

/** A $set/$unset update from a patch (a key present with undefined removes the field); always stamps updatedAt. */
export function patchUpdate(patch: object, immutable: readonly string[], now = new Date()): { $set: Doc; $unset?: Doc } {
  const { set, unset } = splitPatch(patch, immutable);
  const update: { $set: Doc; $unset?: Doc } = { $set: { ...set, updatedAt: now } };
  if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
  return update;
}

export async function pageOf<T>(
  model: Model<any>,
  filter: Doc,
  sort: Record<string, 1 | -1>,
  query: PageQuery,
  hidden: readonly string[] = [],
): Promise<Page<T>> {
  const { limit, offset } = clampPage(query);
  const [total, docs] = await Promise.all([
    model.countDocuments(filter),
    limit === 0 ? Promise.resolve([]) : model.find(filter).sort(sort).skip(offset).limit(limit).lean<Doc[]>(),
  ]);
  return { items: docs.map((d) => toRecord<T>(d, hidden)), total, limit, offset };
}

/**
 * Most ids in one `_id: {$in}` find. mongo-java-server checks each document it finds against the whole
 * list, so a find's cost grows with the square of its ids (server µs a document: 37 at 500 ids, 11 at
 * 100, 8.5 at 50, where the client's cost per find starts to show): longer lists go as finds at once.
 */
const IDS_A_FIND = 100;

/** The documents of `find` over `ids` split in lists of at most IDS_A_FIND, run together; any order, each once. */
export async function findByIdLists<T>(ids: readonly string[], find: (ids: string[]) => Promise<T[]>): Promise<T[]> {
  if (ids.length <= IDS_A_FIND) return find(ids as string[]);
  // An id repeated in two lists would be found by both: as one `$in`, each document comes back once.
  const distinct = [...new Set(ids)];
  const lists: Array<Promise<T[]>> = [];
  for (let i = 0; i < distinct.length; i += IDS_A_FIND) lists.push(find(distinct.slice(i, i + IDS_A_FIND)));
  return (await Promise.all(lists)).flat();
}

const UNAVAILABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClosedError',
  'MongoPoolClearedError',
  'MongoServerClosedError',
  // A pooled connection dropped mid-operation (its pool cleared), a checkout or operation that timed out, a closed client.
  'PoolClearedOnNetworkError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
  'MongoClientClosedError',
]);

export function isDuplicateKey(e: unknown): boolean {
  const err = e as { code?: unknown; writeErrors?: Array<{ code?: unknown }> };
  return err?.code === 11000 || (Array.isArray(err?.writeErrors) && err.writeErrors.some((w) => w.code === 11000));
}

/** Indexes (in an unordered bulk insert) of the documents refused as duplicates; any other failure is rethrown. */
export function duplicateIndexes(e: unknown): Set<number> {
  const writeErrors = ([] as Array<{ index: number; code?: number }>).concat(((e as { writeErrors?: unknown })?.writeErrors as never) ?? []);
  if (!isDuplicateKey(e) || writeErrors.some((w) => w.code !== 11000)) throw e;
  return new Set(writeErrors.map((w) => w.index));
}

/** Duplicate keys are conflicts; an unreachable or closed connection is unavailability. */
export function mapMongoError(e: unknown): unknown {
  if (e instanceof HeraldError) return e;
  if (isDuplicateKey(e)) return new ConflictError('a record with the same key already exists');
  const err = e as { name?: string; message?: string; cause?: { name?: string } };
  // Wrappers (e.g. MongoBulkWriteError from insertMany) keep the network failure only as cause or message.
  const wrapsNetwork =
    /^Mongo/.test(err?.name ?? '') &&
    (UNAVAILABLE_NAMES.has(err.cause?.name ?? '') || /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|connection \d+ to \S+ closed|pool for \S+ was cleared/i.test(err.message ?? ''));
  if (err && (UNAVAILABLE_NAMES.has(err.name ?? '') || wrapsNetwork || (err.name === 'MongooseError' && /connect|connection|client/i.test(err.message ?? '')))) {
    return new StoreUnavailableError(`mongodb: ${err.message}`);
  }
  return e;
}
