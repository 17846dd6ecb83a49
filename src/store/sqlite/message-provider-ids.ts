// The searchable copy of messages' provider ids (message_provider_ids): how a delivery report finds its message.
import type { Sql } from './db';

export function providerIdIndex(sql: Sql) {
  return {
    /** After an update that set or cleared a message's ids; `noneBefore`: it had none, so there is nothing to delete. */
    replace(id: string, ids: string[] | undefined, noneBefore: boolean): void {
      // The worker's record after a fresh claim has none before: one statement less a message sent.
      if (!noneBefore) sql.stmt('DELETE FROM message_provider_ids WHERE "messageId" = ?').run(id);
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
