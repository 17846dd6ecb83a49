// Databases from before workspaces: their records move to the default workspace at connect, once.
// Indexes whose options changed are dropped at connect, so that createIndexes makes them anew; counter
// rows no longer kept (the recipient's usage) are removed.
import { DEFAULT_WORKSPACE } from '../../domain/types';
import type { Models } from './models';

/** Indexes replaced by others: unique ones whose key gained workspaceId (the old ones would keep ids unique across workspaces), and the rest named below. */
const OBSOLETE_INDEXES: Array<[keyof Models, string]> = [
  ['eventTypes', 'programId_1_id_1'],
  ['subscriptions', 'userId_1_programId_1_scope_1'],
  ['subscriptions', 'programId_1_scope_1_userId_1'],
  // The sweeper's index gained `settled` (models-credits.ts).
  ['creditLedger', 'state_1_createdAt_1'],
];

const NO_WORKSPACE = { workspaceId: { $exists: false } };

/** Idempotent: records without workspaceId get 'default' (and their `_id` as `id` where ids were the key). */
export async function migrateToWorkspaces(models: Models): Promise<void> {
  for (const name of ['programs', 'users', 'subscriptions'] as const) {
    const coll = models[name].collection;
    // In batches: a users collection can hold millions.
    for (;;) {
      const old = await coll.find(NO_WORKSPACE, { projection: { _id: 1 } }).limit(1000).toArray();
      if (old.length === 0) break;
      await coll.bulkWrite(
        old.map((d) => ({ updateOne: { filter: { _id: d._id }, update: { $set: { workspaceId: DEFAULT_WORKSPACE, id: String(d._id) } } } })),
        { ordered: false },
      );
    }
  }
  for (const name of ['eventTypes', 'notifications', 'messages'] as const) {
    await models[name].collection.updateMany(NO_WORKSPACE, { $set: { workspaceId: DEFAULT_WORKSPACE } });
  }
  for (const [name, index] of OBSOLETE_INDEXES) {
    await models[name].collection.dropIndex(index).catch(() => undefined); // absent (new database) is fine
  }
}

/** Indexes made with other options before: [collection, index name, whether an existing one is stale]. */
const CHANGED_INDEXES: Array<[keyof Models, string, (index: { unique?: boolean }) => boolean]> = [
  // A log line's _id is its seq now: the seq index is for sorting only.
  ['logs', 'seq_1', (index) => index.unique === true],
];

/** Idempotent: drops each changed index still in its old form (a new database has none). */
export async function migrateIndexes(models: Models): Promise<void> {
  for (const [name, index, stale] of CHANGED_INDEXES) {
    const coll = models[name].collection;
    const existing = await coll.listIndexes().toArray().catch(() => []); // no collection yet
    if (existing.some((ix) => ix.name === index && stale(ix))) await coll.dropIndex(index);
  }
}

/**
 * Idempotent: removes the recipient's counter rows kept by earlier versions (a recipient's usage is
 * counted from its messages now, so they would only linger). A no-op once they are gone.
 */
export async function dropRecipientUsageRows(models: Models): Promise<void> {
  await models.usageRollups.collection.deleteMany({ dimension: 'user' });
}
