// Staging: an event (or a message outcome) becomes a row waiting for every export target of its
// program and kind, once per target (the store ignores a row staged before), paused targets too.
import { eventRecord, outcomeRecord, type MessageOutcome, type SheetExportKind, type SheetRecord, type StagedRow } from '../../domain/sheets';
import type { Store } from '../../store/store';
import type { SheetEvent } from './feed';

/** A row to stage for every target of its program and kind. */
export interface StageItem {
  kind: SheetExportKind;
  workspaceId: string;
  programId: string;
  eventTypeId: string;
  rowId: string;
  record: SheetRecord;
}

export const eventItem = (e: SheetEvent): StageItem => ({
  kind: 'events', workspaceId: e.workspaceId, programId: e.programId, eventTypeId: e.eventTypeId, rowId: e.id, record: eventRecord(e),
});

export const outcomeItem = (o: MessageOutcome): StageItem => {
  const record = outcomeRecord(o);
  return { kind: 'outcomes', workspaceId: o.workspaceId, programId: o.programId, eventTypeId: o.eventTypeId, rowId: String(record.id), record };
};

/** Stages the items for their targets; resolves the active targets that got rows (to run them now). */
export async function stageRows(store: Store, items: StageItem[]): Promise<string[]> {
  const groups = new Map<string, StageItem[]>();
  for (const it of items) {
    const k = `${it.workspaceId}\u0000${it.programId}\u0000${it.kind}`;
    const list = groups.get(k);
    if (list) list.push(it);
    else groups.set(k, [it]);
  }
  const rows: StagedRow[] = [];
  const touched = new Set<string>();
  for (const list of groups.values()) {
    const { workspaceId, programId, kind } = list[0];
    for (const t of await store.sheetExports.list({ workspaceId, programId, kind })) {
      for (const it of list) {
        if (t.eventTypeId !== undefined && t.eventTypeId !== it.eventTypeId) continue;
        rows.push({ targetId: t.id, rowId: it.rowId, record: it.record, createdAt: new Date() });
        if (t.status === 'active') touched.add(t.id);
      }
    }
  }
  await store.sheetExports.stage(rows);
  return [...touched];
}
