// MongoDB collections of Google Sheets export targets and their staged rows (spread into models.ts).
import { Schema, type Connection, type Model } from 'mongoose';
import { base } from './models-base';

const { Mixed } = Schema.Types;

/** Google Sheets export targets (`_id` is the target id) and their staged rows (`_id` is `<targetId>|<rowId>`). */
const sheetExportSchema = new Schema(
  {
    _id: String, kind: String, parentId: String, workspaceId: String, programId: String, eventTypeId: String, spreadsheetId: String, sheetName: String, keyFile: String,
    status: String, error: Mixed, header: [String], rowsExported: Number, lastRowId: String, lastExportedAt: Date, nextRow: Number,
    inflight: Boolean, leaseOwner: String, leaseUntil: Date, createdAt: Date, updatedAt: Date,
  },
  { ...base, collection: 'sheetexports' },
);
sheetExportSchema.index({ workspaceId: 1, programId: 1, createdAt: 1 });
const sheetRowSchema = new Schema(
  { _id: String, targetId: String, rowId: String, record: String, createdAt: Date, exportedAt: Date },
  { ...base, collection: 'sheetrows' },
);
sheetRowSchema.index({ targetId: 1, exportedAt: 1, createdAt: 1 });
sheetRowSchema.index({ exportedAt: 1 });

export interface SheetModels {
  sheetExports: Model<any>;
  sheetRows: Model<any>;
}

export function buildSheetModels(conn: Connection): SheetModels {
  return {
    sheetExports: conn.model('SheetExport', sheetExportSchema),
    sheetRows: conn.model('SheetRow', sheetRowSchema),
  };
}
