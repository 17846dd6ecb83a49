// Google Sheets export targets and their rows: what a target is, how an event becomes a row
// (id, time, event type, then the event's data flattened with dots), how the header grows
// without reordering, and A1 ranges. Pure: no I/O.

export type SheetExportStatus = 'active' | 'paused';

export interface SheetExportError {
  /** SHEET_NOT_FOUND, PERMISSION_DENIED, AUTH, KEY_FILE, BAD_RANGE, ... */
  code: string;
  message: string;
  at: Date;
}

/** `events`: a row per notification event; `outcomes`: a row per message outcome (the optional second sheet, its own record). */
export type SheetExportKind = 'events' | 'outcomes';

export interface SheetExport {
  id: string;
  kind: SheetExportKind;
  /** An outcomes sheet: the events export it belongs to. */
  parentId?: string;
  workspaceId: string;
  programId: string;
  /** Only this event type's events; absent: every event of the program. */
  eventTypeId?: string;
  spreadsheetId: string;
  sheetName: string;
  /** Service-account key (JSON) file; absent: GOOGLE_APPLICATION_CREDENTIALS. */
  keyFile?: string;
  status: SheetExportStatus;
  /** Why it is paused (a deleted sheet, a revoked permission, a key Google refuses). */
  error?: SheetExportError;
  /** The header as last written: column names, in sheet order. */
  header: string[];
  /** Rows Google confirmed. */
  rowsExported: number;
  /** The position: id and time of the last event Google confirmed. */
  lastRowId?: string;
  lastExportedAt?: Date;
  /** The row after the last confirmed append (from Google's updatedRange); where a read-back starts. */
  nextRow?: number;
  /** An append was sent and not yet committed: the next run reads the id column back first. */
  inflight: boolean;
  leaseOwner?: string;
  leaseUntil?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** One value of a cell. */
export type Cell = string | number | boolean;
/** A row by column name. */
export type SheetRecord = Record<string, Cell>;

/** A row waiting for its target (staged from the bus), unique per (targetId, rowId). */
export interface StagedRow {
  targetId: string;
  /** The event's id: the value of the id column, and what a read-back looks for. */
  rowId: string;
  record: SheetRecord;
  createdAt: Date;
}

export const BASE_COLUMNS = ['id', 'time', 'eventType'] as const;
/** The outcomes sheet: `id` is `<messageId>/<status>` (one row per message and outcome, e.g. sent then delivered). */
export const OUTCOME_COLUMNS = ['id', 'time', 'messageId', 'notificationId', 'eventType', 'channel', 'userId', 'status', 'provider', 'errorCode', 'errorMessage'] as const;
/** Statuses that are an outcome worth a row. */
export const OUTCOME_STATUSES = ['sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected'] as const;

export interface MessageOutcome {
  messageId: string;
  workspaceId: string;
  programId: string;
  notificationId: string;
  eventTypeId: string;
  channel: string;
  userId: string;
  status: string;
  at: Date;
  provider?: string;
  errorCode?: string;
  errorMessage?: string;
}

export function outcomeRecord(o: MessageOutcome): SheetRecord {
  return {
    id: `${o.messageId}/${o.status}`, time: o.at.toISOString(), messageId: o.messageId, notificationId: o.notificationId, eventType: o.eventTypeId,
    channel: o.channel, userId: o.userId, status: o.status, provider: o.provider ?? '', errorCode: o.errorCode ?? '', errorMessage: o.errorMessage ?? '',
  };
}

/** Nested objects become dotted names (`customer.address.city`); arrays stay one JSON cell; null is an empty cell. */
export function flatten(data: Record<string, unknown>, prefix = '', out: SheetRecord = {}): SheetRecord {
  for (const [k, v] of Object.entries(data)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v === null || v === undefined) out[name] = '';
    else if (typeof v === 'string' || typeof v === 'boolean') out[name] = v;
    else if (typeof v === 'number') out[name] = Number.isFinite(v) ? v : String(v);
    else if (v instanceof Date) out[name] = v.toISOString();
    else if (Array.isArray(v)) out[name] = JSON.stringify(v);
    else if (typeof v === 'object') {
      if (Object.keys(v).length === 0) out[name] = '';
      else flatten(v as Record<string, unknown>, name, out);
    } else out[name] = String(v);
  }
  return out;
}

/** An event as a row: id, time, eventType, then its data (a data field named like a base column is `data.<name>`). */
export function eventRecord(e: { id: string; createdAt: Date; eventTypeId: string; data: Record<string, unknown> }): SheetRecord {
  const rec: SheetRecord = { id: e.id, time: e.createdAt.toISOString(), eventType: e.eventTypeId };
  for (const [k, v] of Object.entries(flatten(e.data))) rec[(BASE_COLUMNS as readonly string[]).includes(k) ? `data.${k}` : k] = v;
  return rec;
}

/** The header with every new name of these records appended, in first-seen order; old columns keep their place. */
export function growHeader(header: readonly string[], records: readonly SheetRecord[], base: readonly string[] = BASE_COLUMNS): string[] {
  const out = [...header];
  const seen = new Set(out);
  const add = (name: string) => {
    if (!seen.has(name)) {
      seen.add(name);
      out.push(name);
    }
  };
  base.forEach(add);
  for (const r of records) Object.keys(r).forEach(add);
  return out;
}

/** Google refuses a cell longer than this (the whole append with it): longer text is cut, marked with an ellipsis. */
export const MAX_CELL_CHARS = 50_000;

/** The record's cells in header order (missing fields are empty). */
export function rowValues(header: readonly string[], r: SheetRecord): Cell[] {
  const row = header.map((h) => {
    const v = h in r ? r[h] : '';
    return typeof v === 'string' && v.length > MAX_CELL_CHARS ? `${v.slice(0, MAX_CELL_CHARS - 1)}…` : v;
  });
  while (row.length && row[row.length - 1] === '') row.pop();
  return row;
}

/** Column letters of a 0-based index: 0 -> A, 25 -> Z, 26 -> AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

/** A sheet name quoted for A1 notation: 'My sheet' (a quote inside is doubled). */
export function quoteSheet(name: string): string {
  return `'${name.replace(/'/g, "''")}'`;
}

/** The last row number of an A1 range such as `'Events'!A7:F12` (or `Events!A7`); undefined if it has none. */
export function lastRowOf(range: string | null | undefined): number | undefined {
  if (!range) return undefined;
  const cells = range.slice(range.lastIndexOf('!') + 1);
  const m = /(\d+)$/.exec(cells);
  return m ? Number(m[1]) : undefined;
}
