// Google Sheets export targets and their staged rows in SQLite. A staged row is unique per
// (target, row id) and is kept (without its values) once exported, so it is never staged twice.
import type { SheetExport, StagedRow } from '../../domain/sheets';
import type { SheetExportRepo } from '../store-sheets';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';

export const SHEETS_DDL = `
CREATE TABLE IF NOT EXISTS sheet_exports (
  "id" TEXT PRIMARY KEY, "kind" TEXT NOT NULL, "parentId" TEXT, "workspaceId" TEXT NOT NULL, "programId" TEXT NOT NULL, "eventTypeId" TEXT,
  "spreadsheetId" TEXT NOT NULL, "sheetName" TEXT NOT NULL, "keyFile" TEXT, "status" TEXT NOT NULL, "error" TEXT,
  "header" TEXT NOT NULL, "rowsExported" INTEGER NOT NULL, "lastRowId" TEXT, "lastExportedAt" INTEGER, "nextRow" INTEGER,
  "inflight" INTEGER NOT NULL, "leaseOwner" TEXT, "leaseUntil" INTEGER, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sheet_exports_program ON sheet_exports ("workspaceId", "programId", "createdAt");
CREATE TABLE IF NOT EXISTS sheet_rows (
  "seq" INTEGER PRIMARY KEY AUTOINCREMENT, "targetId" TEXT NOT NULL, "rowId" TEXT NOT NULL, "record" TEXT,
  "createdAt" INTEGER NOT NULL, "exportedAt" INTEGER, UNIQUE ("targetId", "rowId")
);
CREATE INDEX IF NOT EXISTS sheet_rows_pending ON sheet_rows ("targetId", "exportedAt", "seq");
CREATE INDEX IF NOT EXISTS sheet_rows_exported ON sheet_rows ("exportedAt");
`;

const targets: TableCodec = {
  table: 'sheet_exports',
  columns: {
    id: 'text', kind: 'text', parentId: 'text', workspaceId: 'text', programId: 'text', eventTypeId: 'text', spreadsheetId: 'text', sheetName: 'text', keyFile: 'text',
    status: 'text', error: 'json', header: 'json', rowsExported: 'int', lastRowId: 'text', lastExportedAt: 'date', nextRow: 'int',
    inflight: 'bool', leaseOwner: 'text', leaseUntil: 'date', createdAt: 'date', updatedAt: 'date',
  },
  revive: { error: (e: { code: string; message: string; at: string }) => ({ ...e, at: new Date(e.at) }) },
};

const fromRow = (row: Record<string, unknown>): SheetExport => {
  const t = decodeRow<SheetExport>(targets, row);
  return { ...t, inflight: t.inflight === true, header: t.header ?? [] };
};

export function sheetExportRepo(sql: Sql): SheetExportRepo {
  const get = (id: string): SheetExport | null => {
    const row = sql.get('SELECT * FROM sheet_exports WHERE "id" = @id', { id });
    return row ? fromRow(row) : null;
  };

  return {
    async create(t) {
      const at = new Date();
      const rec: SheetExport = { ...t, kind: t.kind ?? 'events', status: 'active', header: [], rowsExported: 0, inflight: false, createdAt: at, updatedAt: at };
      sql.run(insertSql(targets), encodeRecord(targets, rec));
      return get(t.id)!;
    },
    async get(id) {
      return get(id);
    },
    async list(filter) {
      const where: string[] = [];
      if (filter.workspaceId !== undefined) where.push('"workspaceId" = @workspaceId');
      if (filter.programId !== undefined) where.push('"programId" = @programId');
      if (filter.status !== undefined) where.push('"status" = @status');
      if (filter.kind !== undefined) where.push('"kind" = @kind');
      if (filter.parentId !== undefined) where.push('"parentId" = @parentId');
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      return sql.all(`SELECT * FROM sheet_exports ${clause} ORDER BY "createdAt", "id"`, { ...filter }).map(fromRow);
    },
    async delete(id) {
      return sql.tx(() => {
        sql.run('DELETE FROM sheet_rows WHERE "targetId" = @id', { id });
        return sql.run('DELETE FROM sheet_exports WHERE "id" = @id', { id }).changes > 0;
      });
    },
    async update(id, patch, addRows = 0) {
      const clause = setClause(targets, { ...patch, updatedAt: new Date() });
      return sql.tx(() => {
        const changed = sql.run(`UPDATE sheet_exports SET ${clause.sql}, "rowsExported" = "rowsExported" + @addRows WHERE "id" = @id`, {
          ...clause.params, addRows, id,
        }).changes;
        return changed ? get(id) : null;
      });
    },
    async claim(id, owner, until, now) {
      const changed = sql.run(
        `UPDATE sheet_exports SET "leaseOwner" = @owner, "leaseUntil" = @until
         WHERE "id" = @id AND ("leaseOwner" IS NULL OR "leaseOwner" = @owner OR "leaseUntil" < @now)`,
        { id, owner, until: until.getTime(), now: now.getTime() },
      ).changes;
      return changed ? get(id) : null;
    },
    async release(id, owner) {
      sql.run('UPDATE sheet_exports SET "leaseOwner" = NULL, "leaseUntil" = NULL WHERE "id" = @id AND "leaseOwner" = @owner', { id, owner });
    },
    async stage(rows) {
      if (rows.length === 0) return 0;
      return sql.tx(() => {
        let added = 0;
        for (const r of rows) {
          added += sql.run(
            'INSERT OR IGNORE INTO sheet_rows ("targetId", "rowId", "record", "createdAt") VALUES (@targetId, @rowId, @record, @createdAt)',
            { targetId: r.targetId, rowId: r.rowId, record: JSON.stringify(r.record), createdAt: r.createdAt.getTime() },
          ).changes;
        }
        return added;
      });
    },
    async pending(targetId, limit) {
      const rows = sql.all<{ targetId: string; rowId: string; record: string; createdAt: number }>(
        'SELECT "targetId", "rowId", "record", "createdAt" FROM sheet_rows WHERE "targetId" = @targetId AND "exportedAt" IS NULL ORDER BY "seq" LIMIT @limit',
        { targetId, limit },
      );
      return rows.map((r): StagedRow => ({ targetId: r.targetId, rowId: r.rowId, record: JSON.parse(r.record), createdAt: new Date(r.createdAt) }));
    },
    async pendingCount(targetId) {
      return sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM sheet_rows WHERE "targetId" = @targetId AND "exportedAt" IS NULL', { targetId })!.n;
    },
    async pruneExported(before) {
      return sql.run('DELETE FROM sheet_rows WHERE "exportedAt" IS NOT NULL AND "exportedAt" < @before', { before: before.getTime() }).changes;
    },
    async markExported(targetId, rowIds, at) {
      if (rowIds.length === 0) return 0;
      return sql.tx(() => {
        let changed = 0;
        for (const rowId of rowIds) {
          changed += sql.run(
            'UPDATE sheet_rows SET "exportedAt" = @at, "record" = NULL WHERE "targetId" = @targetId AND "rowId" = @rowId AND "exportedAt" IS NULL',
            { targetId, rowId, at: at.getTime() },
          ).changes;
        }
        return changed;
      });
    },
  };
}
