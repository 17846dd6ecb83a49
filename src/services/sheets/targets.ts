// Google Sheets export targets of a program: register (checked before anything is written),
// list, read with the rows still waiting, delete, and resume one the exporter paused.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import type { SheetExport } from '../../domain/sheets';
import type { Store } from '../../store/store';
import { readServiceAccountKey, SheetsError } from './google-sheets';
import { targetsChanged } from './feed';

export interface NewTarget {
  spreadsheetId: string;
  sheetName: string;
  /** A second tab for message outcomes (a row per message and outcome). */
  outcomesSheetName?: string;
  keyFile?: string;
  eventTypeId?: string;
}

type SheetState = Omit<SheetExport, 'leaseOwner' | 'leaseUntil' | 'kind' | 'parentId'> & {
  /** Rows staged and not yet confirmed by Google. */
  rowsPending: number;
};

export interface TargetView extends SheetState {
  /** The service account's e-mail: share the spreadsheet with it (as an editor). */
  serviceAccountEmail?: string;
  /** The outcomes sheet, when asked for: its own status, position and rows. */
  outcomes?: Pick<SheetState, 'sheetName' | 'status' | 'error' | 'header' | 'rowsExported' | 'rowsPending' | 'lastRowId' | 'lastExportedAt' | 'inflight'>;
}

export interface SheetTargetsDeps {
  store: Store;
  /** GOOGLE_APPLICATION_CREDENTIALS: the key file of targets registered without one. */
  credentialsFile?: string;
}

export function createSheetTargets(deps: SheetTargetsDeps) {
  const { store } = deps;

  async function mustHaveProgram(ws: string, programId: string): Promise<void> {
    if (!(await store.programs.get(ws, programId))) throw new NotFoundError('program', programId, 'programId');
  }

  async function mustGet(ws: string, programId: string, id: string): Promise<SheetExport> {
    await mustHaveProgram(ws, programId);
    const t = await store.sheetExports.get(id);
    if (!t || t.kind !== 'events' || t.workspaceId !== ws || t.programId !== programId) throw new NotFoundError('export', id, 'exportId');
    return t;
  }

  function clientEmail(t: SheetExport): string | undefined {
    const file = t.keyFile ?? deps.credentialsFile;
    if (!file) return undefined;
    try {
      return readServiceAccountKey(file).clientEmail;
    } catch {
      return undefined;
    }
  }

  async function state(t: SheetExport): Promise<SheetState> {
    const { leaseOwner: _o, leaseUntil: _u, kind: _k, parentId: _p, ...rest } = t;
    return { ...rest, rowsPending: await store.sheetExports.pendingCount(t.id) };
  }

  async function view(t: SheetExport): Promise<TargetView> {
    const email = clientEmail(t);
    const [child] = await store.sheetExports.list({ parentId: t.id });
    const outcomes = child ? await state(child) : undefined;
    return {
      ...(await state(t)),
      ...(email ? { serviceAccountEmail: email } : {}),
      ...(outcomes
        ? {
            outcomes: {
              sheetName: outcomes.sheetName, status: outcomes.status, ...(outcomes.error ? { error: outcomes.error } : {}), header: outcomes.header,
              rowsExported: outcomes.rowsExported, rowsPending: outcomes.rowsPending, inflight: outcomes.inflight,
              ...(outcomes.lastRowId ? { lastRowId: outcomes.lastRowId } : {}), ...(outcomes.lastExportedAt ? { lastExportedAt: outcomes.lastExportedAt } : {}),
            },
          }
        : {}),
    };
  }

  return {
    async create(ws: string, programId: string, body: NewTarget): Promise<TargetView> {
      await mustHaveProgram(ws, programId);
      const issues: Array<{ field: string; reason: string }> = [];
      if (body.eventTypeId !== undefined && !(await store.eventTypes.get(ws, programId, body.eventTypeId))) {
        issues.push({ field: 'eventTypeId', reason: `event type '${body.eventTypeId}' does not exist in program '${programId}'` });
      }
      const keyFile = body.keyFile ?? deps.credentialsFile;
      if (keyFile === undefined) {
        issues.push({ field: 'keyFile', reason: 'is required: the path of a service-account key file (or set GOOGLE_APPLICATION_CREDENTIALS on the server)' });
      } else if (body.keyFile !== undefined && !path.isAbsolute(body.keyFile)) {
        issues.push({ field: 'keyFile', reason: 'must be an absolute path on the Herald server' });
      } else {
        try {
          readServiceAccountKey(keyFile);
        } catch (e) {
          if (!(e instanceof SheetsError)) throw e;
          issues.push({ field: 'keyFile', reason: e.message });
        }
      }
      if (body.outcomesSheetName !== undefined && body.outcomesSheetName === body.sheetName) {
        issues.push({ field: 'outcomesSheetName', reason: 'must be another tab than sheetName' });
      }
      // One export per tab: two would write every event twice and read each other's rows back as their own.
      const exports = await store.sheetExports.list({ workspaceId: ws });
      for (const [field, tab] of [['sheetName', body.sheetName], ['outcomesSheetName', body.outcomesSheetName]] as const) {
        const holder = tab === undefined ? undefined : exports.find((e) => e.spreadsheetId === body.spreadsheetId && e.sheetName === tab);
        if (holder) issues.push({ field, reason: `tab '${tab}' of this spreadsheet already receives export ${holder.parentId ?? holder.id}; delete that one first or pick another tab` });
      }
      if (issues.length) throw new UnprocessableError(issues, 'the export target cannot be used');
      const common = {
        workspaceId: ws,
        programId,
        ...(body.eventTypeId !== undefined ? { eventTypeId: body.eventTypeId } : {}),
        spreadsheetId: body.spreadsheetId,
        ...(body.keyFile !== undefined ? { keyFile: body.keyFile } : {}),
      };
      const id = `exp_${randomBytes(9).toString('base64url')}`;
      // The outcomes sheet first: an events export is never seen without the outcomes it was asked with.
      if (body.outcomesSheetName !== undefined) {
        await store.sheetExports.create({ ...common, id: `${id}-outcomes`, kind: 'outcomes', parentId: id, sheetName: body.outcomesSheetName });
      }
      const t = await store.sheetExports.create({ ...common, id, kind: 'events', sheetName: body.sheetName });
      targetsChanged();
      return view(t);
    },

    async list(ws: string, programId: string): Promise<TargetView[]> {
      await mustHaveProgram(ws, programId);
      return Promise.all((await store.sheetExports.list({ workspaceId: ws, programId, kind: 'events' })).map(view));
    },

    async get(ws: string, programId: string, id: string): Promise<TargetView> {
      return view(await mustGet(ws, programId, id));
    },

    async delete(ws: string, programId: string, id: string): Promise<void> {
      await mustGet(ws, programId, id);
      for (const child of await store.sheetExports.list({ parentId: id })) await store.sheetExports.delete(child.id);
      await store.sheetExports.delete(id);
      targetsChanged();
    },

    /** A paused target becomes active again (after the sheet is shared again, say); rows staged meanwhile follow. */
    async resume(ws: string, programId: string, id: string): Promise<TargetView> {
      const t = await mustGet(ws, programId, id);
      for (const child of await store.sheetExports.list({ parentId: id })) {
        if (child.status !== 'active') await store.sheetExports.update(child.id, { status: 'active', error: undefined });
      }
      if (t.status === 'active') return view((await store.sheetExports.get(id))!);
      return view((await store.sheetExports.update(id, { status: 'active', error: undefined }))!);
    },
  };
}

export type SheetTargets = ReturnType<typeof createSheetTargets>;
