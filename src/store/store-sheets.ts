// The storage contract of Google Sheets export targets and their staged rows (both stores;
// test/contract/store.contract.sheets.ts).
import type { SheetExport, SheetExportError, StagedRow } from '../domain/sheets';

export type NewSheetExport = Pick<SheetExport, 'id' | 'workspaceId' | 'programId' | 'eventTypeId' | 'spreadsheetId' | 'sheetName' | 'keyFile' | 'parentId'> &
  Partial<Pick<SheetExport, 'kind'>>;

/** What the exporter moves; a key present with value `undefined` clears the field. */
export interface SheetExportPatch {
  status?: SheetExport['status'];
  error?: SheetExportError | undefined;
  header?: string[];
  lastRowId?: string;
  lastExportedAt?: Date;
  nextRow?: number;
  inflight?: boolean;
}

/**
 * Targets are found by id alone (ids are random); the HTTP layer checks the workspace and program.
 * Staged rows are unique per (targetId, rowId): staging the same event again is ignored, before
 * and after it was exported, so a bus that delivers twice never makes two rows.
 */
export interface SheetExportRepo {
  create(t: NewSheetExport): Promise<SheetExport>;
  get(id: string): Promise<SheetExport | null>;
  /** Oldest first. */
  list(filter: { workspaceId?: string; programId?: string; status?: SheetExport['status']; kind?: SheetExport['kind']; parentId?: string }): Promise<SheetExport[]>;
  /** Deletes the target and every row staged for it. */
  delete(id: string): Promise<boolean>;
  /** Applies the patch; `addRows` is added to rowsExported. Resolves null for a missing target. */
  update(id: string, patch: SheetExportPatch, addRows?: number): Promise<SheetExport | null>;
  /**
   * Takes the target's lease for `owner` until `until` when it is free, expired (before `now`) or
   * already `owner`'s. Resolves the target when taken, null otherwise.
   */
  claim(id: string, owner: string, until: Date, now: Date): Promise<SheetExport | null>;
  /** Gives the lease back if `owner` still holds it. */
  release(id: string, owner: string): Promise<void>;
  /** Inserts the rows not staged before; resolves how many were new. */
  stage(rows: StagedRow[]): Promise<number>;
  /** Rows not yet exported, in staging order. */
  pending(targetId: string, limit: number): Promise<StagedRow[]>;
  pendingCount(targetId: string): Promise<number>;
  /** Forgets rows exported before `before` (kept until then so a late redelivery is still recognised). Resolves how many. */
  pruneExported(before: Date): Promise<number>;
  /** Marks these rows exported (they stay, without their values, so they are never staged again). Resolves how many changed. */
  markExported(targetId: string, rowIds: string[], at: Date): Promise<number>;
}
