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
  keyFile?: string;
  eventTypeId?: string;
}

export interface TargetView extends SheetExport {
  /** The service account's e-mail: share the spreadsheet with it (as an editor). */
  serviceAccountEmail?: string;
  /** Events staged and not yet confirmed by Google. */
  rowsPending: number;
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
    if (!t || t.workspaceId !== ws || t.programId !== programId) throw new NotFoundError('export', id, 'exportId');
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

  async function view(t: SheetExport): Promise<TargetView> {
    const { leaseOwner: _o, leaseUntil: _u, ...rest } = t;
    const email = clientEmail(t);
    return { ...rest, ...(email ? { serviceAccountEmail: email } : {}), rowsPending: await store.sheetExports.pendingCount(t.id) } as TargetView;
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
      if (issues.length) throw new UnprocessableError(issues, 'the export target cannot be used');
      const t = await store.sheetExports.create({
        id: `exp_${randomBytes(9).toString('base64url')}`,
        workspaceId: ws,
        programId,
        ...(body.eventTypeId !== undefined ? { eventTypeId: body.eventTypeId } : {}),
        spreadsheetId: body.spreadsheetId,
        sheetName: body.sheetName,
        ...(body.keyFile !== undefined ? { keyFile: body.keyFile } : {}),
      });
      targetsChanged();
      return view(t);
    },

    async list(ws: string, programId: string): Promise<TargetView[]> {
      await mustHaveProgram(ws, programId);
      return Promise.all((await store.sheetExports.list({ workspaceId: ws, programId })).map(view));
    },

    async get(ws: string, programId: string, id: string): Promise<TargetView> {
      return view(await mustGet(ws, programId, id));
    },

    async delete(ws: string, programId: string, id: string): Promise<void> {
      await mustGet(ws, programId, id);
      await store.sheetExports.delete(id);
      targetsChanged();
    },

    /** A paused target becomes active again (after the sheet is shared again, say); rows staged meanwhile follow. */
    async resume(ws: string, programId: string, id: string): Promise<TargetView> {
      const t = await mustGet(ws, programId, id);
      if (t.status === 'active') return view(t);
      return view((await store.sheetExports.update(id, { status: 'active', error: undefined }))!);
    },
  };
}

export type SheetTargets = ReturnType<typeof createSheetTargets>;
