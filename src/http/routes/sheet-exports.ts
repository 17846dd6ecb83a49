// Google Sheets export targets of a program: every event of the program (or of one event type)
// as a row of a sheet. Registering, deleting and resuming are admin (a key file is a path on
// the server); reading is a viewer's.
import { createSheetTargets } from '../../services/sheets/targets';
import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { oneSheetExportParams, sheetExportCreateSchema, sheetExportListSchema, sheetExportParams, sheetExportSchema } from '../schemas/sheet-exports';

const BASE = '/v1/programs/:programId/exports';

export function sheetExportRoutes({ store, config }: HttpDeps): RouteSpec[] {
  const targets = createSheetTargets({ store, credentialsFile: config.sheets.credentialsFile });
  return [
    route({
      method: 'post',
      path: BASE,
      tag: 'exports',
      summary: "Export every event of the program (or of one event type) as a row of a Google Sheet (admin)",
      description:
        'Each event becomes one row: id, time, event type, then one column per field of its data (nested fields with dots); new fields ' +
        'add columns at the end of the header. Rows are appended in batches after the event is dispatched; a sheet Google refuses pauses ' +
        'the export (see status and error). The key file must be readable by the server and the spreadsheet shared with its service account.',
      access: 'admin',
      params: sheetExportParams,
      body: sheetExportCreateSchema,
      responses: { 201: { description: 'registered', schema: sheetExportSchema, headers: { Location: 'the export URL' } } },
      errors: [404, 422],
      async handler({ params, body, workspaceId }) {
        const t = await targets.create(workspaceId, params.programId, body);
        return { status: 201, body: t, headers: { Location: `/v1/programs/${encodeURIComponent(params.programId)}/exports/${t.id}` } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'exports',
      summary: "A program's Google Sheets exports, with status, rows exported and rows waiting",
      access: 'viewer',
      params: sheetExportParams,
      responses: { 200: { description: 'the exports, oldest first', schema: sheetExportListSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        return { status: 200, body: { items: await targets.list(workspaceId, params.programId) } };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:exportId`,
      tag: 'exports',
      summary: 'One Google Sheets export',
      access: 'viewer',
      params: oneSheetExportParams,
      responses: { 200: { description: 'the export', schema: sheetExportSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await targets.get(workspaceId, params.programId, params.exportId) };
      },
    }),
    route({
      method: 'delete',
      path: `${BASE}/:exportId`,
      tag: 'exports',
      summary: 'Stop and delete a Google Sheets export (the sheet keeps its rows) (admin)',
      access: 'admin',
      params: oneSheetExportParams,
      responses: { 204: { description: 'deleted' } },
      errors: [404],
      async handler({ params, workspaceId }) {
        await targets.delete(workspaceId, params.programId, params.exportId);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: `${BASE}/:exportId/resume`,
      tag: 'exports',
      summary: 'Resume a paused Google Sheets export; the events of the pause follow (admin)',
      access: 'admin',
      params: oneSheetExportParams,
      responses: { 200: { description: 'the export, active again', schema: sheetExportSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await targets.resume(workspaceId, params.programId, params.exportId) };
      },
    }),
  ];
}
