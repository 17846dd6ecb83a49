// Schema options and key fields every Mongo collection file shares.

/** No __v, keep empty objects ({} data, {} templates), no automatic timestamps. */
export const base = { versionKey: false, minimize: false, timestamps: false, strict: true } as const;

/**
 * Catalog records are keyed by (workspaceId, id): `_id` is ownedKey(workspaceId, id), so lookups stay
 * primary-key lookups and the same id may exist in two workspaces.
 */
export const owned = { _id: String, workspaceId: { type: String, required: true }, id: { type: String, required: true } };
