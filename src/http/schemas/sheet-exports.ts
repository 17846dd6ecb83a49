// Google Sheets export targets on the wire.
import { dateTimeOut, idText } from './common';
import { z } from './zod';

export const sheetExportParams = z.object({ programId: idText });
export const oneSheetExportParams = z.object({ programId: idText, exportId: idText });

export const sheetExportCreateSchema = z
  .object({
    spreadsheetId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the id from the spreadsheet URL (docs.google.com/spreadsheets/d/<id>/edit): letters, digits, "-" and "_"')
      .openapi({ example: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms' }),
    sheetName: z
      .string()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
      .openapi({ description: 'the tab the rows go to; it must exist in the spreadsheet', example: 'Events' }),
    outcomesSheetName: z
      .string()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
      .optional()
      .openapi({ description: 'a second tab for message outcomes: a row per message and outcome (sent, delivered, failed, ...)', example: 'Outcomes' }),
    keyFile: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .openapi({ description: "absolute path of a service-account key (JSON) on the Herald server; default the server's GOOGLE_APPLICATION_CREDENTIALS", example: '/run/secrets/herald-sheets.json' }),
    eventTypeId: z
      .union([idText, z.number().int().nonnegative()])
      .transform((v) => String(v))
      .optional()
      .openapi({ type: 'string', description: "only this event type's events; default every event of the program", example: 'order-paid' }),
  })
  .strict()
  .openapi('SheetExportCreate', { example: { spreadsheetId: '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms', sheetName: 'Events', keyFile: '/run/secrets/herald-sheets.json' } });

export const sheetExportSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    programId: z.string(),
    eventTypeId: z.string().optional(),
    spreadsheetId: z.string(),
    sheetName: z.string(),
    keyFile: z.string().optional(),
    serviceAccountEmail: z.string().optional().openapi({ description: "the key's service account: share the spreadsheet with it as an editor" }),
    status: z.enum(['active', 'paused']).openapi({ description: 'paused: Google refused (a deleted sheet, a revoked permission, a refused key); see error, fix it, then resume' }),
    error: z
      .object({ code: z.string(), message: z.string(), at: dateTimeOut })
      .optional()
      .openapi({ description: 'why it is paused; on an active export, the last failure that outlasted the retries (cleared by the next append)' }),
    header: z.array(z.string()).openapi({ description: 'the header row as last written' }),
    rowsExported: z.number().int().openapi({ description: 'rows Google confirmed' }),
    rowsPending: z.number().int().openapi({ description: 'events waiting for their row' }),
    lastRowId: z.string().optional().openapi({ description: 'the position: the last event Google confirmed' }),
    lastExportedAt: dateTimeOut.optional(),
    nextRow: z.number().int().optional(),
    inflight: z.boolean().openapi({ description: 'an append is unconfirmed: the next run reads the id column back first' }),
    outcomes: z
      .object({
        sheetName: z.string(),
        status: z.enum(['active', 'paused']),
        error: z.object({ code: z.string(), message: z.string(), at: dateTimeOut }).optional(),
        header: z.array(z.string()),
        rowsExported: z.number().int(),
        rowsPending: z.number().int(),
        lastRowId: z.string().optional(),
        lastExportedAt: dateTimeOut.optional(),
        inflight: z.boolean(),
      })
      .optional()
      .openapi({ description: 'the outcomes sheet, when asked for' }),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('SheetExport');

export const sheetExportListSchema = z.object({ items: z.array(sheetExportSchema) }).openapi('SheetExportList');
