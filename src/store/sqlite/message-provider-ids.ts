// The searchable copy of messages' provider ids (message_provider_ids): how a delivery report finds its message.
// Keyed by (providerMessageId, messageId) alone: a message's rows are deleted by its stored ids, read
// before the update that replaces them, so no index by messageId is kept (one B-tree insert less at each record).
import type { Sql } from './db';

/** Run with the schema: files made before lose the index by messageId. */
export const PROVIDER_IDS_DDL = 'DROP INDEX IF EXISTS message_provider_ids_message;';

const NONE: readonly string[] = [];

export function providerIdIndex(sql: Sql) {
  return {
    /** The ids stored now, before an update that sets or clears them; `noneBefore`: the caller's copy says none (nothing read). */
    before(id: string, noneBefore: boolean): readonly string[] {
      if (noneBefore) return NONE;
      const row = sql.stmt('SELECT "providerMessageIds" AS ids FROM messages WHERE "id" = ?').get(id) as { ids: string | null } | undefined;
      return row?.ids ? (JSON.parse(row.ids) as string[]) : NONE;
    },
    /** After an update that replaced `before` with `ids` (undefined: cleared). */
    replace(id: string, before: readonly string[], ids: string[] | undefined): void {
      if (before.length > 0) {
        const drop = sql.stmt('DELETE FROM message_provider_ids WHERE "providerMessageId" = ? AND "messageId" = ?');
        for (const pid of before) drop.run(pid, id);
      }
      if (!ids) return;
      const add = sql.stmt('INSERT OR IGNORE INTO message_provider_ids ("providerMessageId", "messageId") VALUES (?, ?)');
      for (const pid of ids) add.run(pid, id);
    },
    /** The newest message row holding this provider id. */
    messageRow(providerMessageId: string): Record<string, unknown> | undefined {
      return sql.get(
        `SELECT m.* FROM message_provider_ids p JOIN messages m ON m."id" = p."messageId"
         WHERE p."providerMessageId" = @providerMessageId ORDER BY m."createdAt" DESC LIMIT 1`,
        { providerMessageId },
      );
    },
  };
}
