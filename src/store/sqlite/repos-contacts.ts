// Contact lists and their members in SQLite: members are (list, contact) rows inserted or ignored,
// so adding a contact twice is one member; members are read joined to their contacts.
import type { Contact } from '../../domain/campaigns';
import type { ContactList } from '../../domain/contact-lists';
import type { ContactListRepo } from '../store';
import { decodeRow, encodeRecord, insertSql, type Sql, type TableCodec } from './db';
import { pageOf } from './repos-catalog';

export const CONTACTS_DDL = `
CREATE TABLE IF NOT EXISTS contact_lists (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL, "name" TEXT NOT NULL, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_lists_workspace ON contact_lists ("workspaceId", "createdAt", "id");
CREATE TABLE IF NOT EXISTS contact_list_members (
  "listId" TEXT NOT NULL, "contactId" TEXT NOT NULL,
  PRIMARY KEY ("listId", "contactId")
) WITHOUT ROWID;
`;

const lists: TableCodec = { table: 'contact_lists', columns: { id: 'text', workspaceId: 'text', name: 'text', createdAt: 'date', updatedAt: 'date' } };
const contacts: TableCodec = {
  table: 'contacts',
  columns: { workspaceId: 'text', id: 'text', phone: 'text', name: 'text', data: 'json', createdAt: 'date', updatedAt: 'date' },
};

/** LIKE pattern matching values that start with `prefix` (escape char '\'). */
const startsWith = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function contactListRepo(sql: Sql): ContactListRepo {
  const getList = (ws: string, id: string): ContactList | null => {
    const row = sql.get('SELECT * FROM contact_lists WHERE "id" = @id AND "workspaceId" = @ws', { id, ws });
    return row ? decodeRow<ContactList>(lists, row) : null;
  };
  return {
    async create(l) {
      const now = new Date();
      sql.run(insertSql(lists), encodeRecord(lists, { ...l, createdAt: now, updatedAt: now }));
      return getList(l.workspaceId, l.id)!;
    },
    async get(ws, id) {
      return getList(ws, id);
    },
    async list(ws, q) {
      return pageOf<ContactList>(sql, lists, '"workspaceId" = @ws', { ws }, '"createdAt", "id"', q);
    },
    async delete(ws, id) {
      return sql.tx(() => {
        const gone = sql.run('DELETE FROM contact_lists WHERE "id" = @id AND "workspaceId" = @ws', { id, ws }).changes > 0;
        if (gone) sql.run('DELETE FROM contact_list_members WHERE "listId" = @id', { id });
        return gone;
      });
    },
    async addMembers(ws, listId, contactIds) {
      if (!getList(ws, listId)) return 0;
      return sql.tx(() => contactIds.reduce((n, contactId) => n + sql.run('INSERT OR IGNORE INTO contact_list_members ("listId", "contactId") VALUES (@listId, @contactId)', { listId, contactId }).changes, 0));
    },
    async countMembers(ws, listId) {
      if (!getList(ws, listId)) return 0;
      return sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM contact_list_members WHERE "listId" = @listId', { listId })!.n;
    },
    async membersAfter(ws, listId, after, limit) {
      if (!getList(ws, listId)) return [];
      return sql
        .all(
          `SELECT c.* FROM contact_list_members m JOIN contacts c ON c."workspaceId" = @ws AND c."id" = m."contactId"
           WHERE m."listId" = @listId${after !== undefined ? ' AND m."contactId" > @after' : ''} ORDER BY m."contactId" LIMIT @limit`,
          { ws, listId, after, limit },
        )
        .map((r) => decodeRow<Contact>(contacts, r));
    },
    async searchContacts(ws, filter, q) {
      const where = ['"workspaceId" = @ws'];
      if (filter.idPrefix) where.push(`"id" LIKE @prefix ESCAPE '\\'`);
      return pageOf<Contact>(sql, contacts, where.join(' AND '), { ws, prefix: filter.idPrefix ? startsWith(filter.idPrefix) : undefined }, '"id"', q);
    },
  };
}
