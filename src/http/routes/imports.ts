// POST /v1/imports: a CSV file (body text/csv, or multipart/form-data with the file as a part),
// streamed to the importer; GET /v1/imports/:id reads an import's record and report again.
import type { Request } from 'express';
import { PassThrough, type Readable } from 'node:stream';
import busboy from 'busboy';
import { NotFoundError, UnprocessableError, ValidationError } from '../../domain/errors';
import type { Importer } from '../../services/campaigns/importer';
import { HttpError } from '../errors';
import { route, type RouteSpec } from '../route';
import { campaignParams, importQuery, importSchema } from '../schemas/campaigns';
import { idempotencyHeader } from '../schemas/notifications';

const BASE = '/v1/imports';
const CSV_TYPES = /^(text\/csv|application\/csv|text\/plain|application\/vnd\.ms-excel)\b/i;
/** Issues listed in a rejected file's error (the import's report lists up to 1000 rows). */
const ISSUES_SHOWN = 50;

const unreadable = (e: unknown) => new ValidationError([{ field: 'body', reason: `unreadable multipart body: ${(e as Error).message}` }]);

/** The file's bytes as a stream: the body itself, or the first file part of a multipart body. */
function csvStream(req: Request): Promise<Readable> {
  const type = req.get('content-type') ?? '';
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) throw new UnprocessableError([{ field: 'body', reason: 'a CSV file is required (Content-Type text/csv, or multipart/form-data with the file)' }]);
  if (CSV_TYPES.test(type)) return Promise.resolve(req);
  if (!/^multipart\/form-data\b/i.test(type)) {
    req.resume();
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type must be text/csv or multipart/form-data (got '${type || 'none'}')`);
  }
  return new Promise((resolve, reject) => {
    let found = false;
    let extra = false;
    // The file ends only when the whole body is read, so a second file part refuses the import before anything is written.
    const out = new PassThrough();
    // The body may fail before the importer starts reading: the stream keeps the error for it (no process-level 'error').
    out.on('error', () => undefined);
    const bb = busboy({ headers: req.headers });
    bb.on('file', (_name, file) => {
      if (found) {
        extra = true;
        return void file.resume();
      }
      found = true;
      file.on('error', (e) => out.destroy(unreadable(e)));
      file.pipe(out, { end: false });
      resolve(out);
    });
    bb.on('close', () => {
      if (!found) reject(new ValidationError([{ field: 'file', reason: 'the multipart body has no file part: attach the CSV file' }]));
      else if (extra) out.destroy(new ValidationError([{ field: 'file', reason: 'send one file per import: the multipart body has more than one file part' }]));
      else out.end();
    });
    bb.on('error', (e) => {
      if (found) out.destroy(unreadable(e));
      else reject(unreadable(e));
    });
    req.pipe(bb);
  });
}

export function importRoutes(importer: Importer): RouteSpec[] {
  return [
    route({
      method: 'post', path: BASE, tag: 'campaigns', access: 'sender',
      summary: 'Import campaigns from a CSV file (message, recepient_nos, campaign, sending_time; extra columns are template data)',
      description:
        'Body: the file as text/csv, or multipart/form-data with the file as a part. Streamed: the file is never held in memory. ' +
        'Default all-or-nothing: one bad row rejects the file (422, nothing written, the report lists every rejected row with line, column and reason); ' +
        '?onError=skip imports the good rows; ?dryRun=true reports without writing. The same file with the same Idempotency-Key is one import (200, Idempotent-Replayed: true).',
      query: importQuery, headers: idempotencyHeader,
      responses: { 201: { description: 'the import and its report', schema: importSchema }, 200: { description: 'the same import again (Idempotency-Key replay)', schema: importSchema } },
      errors: [409, 415, 422, 503],
      async handler({ query, headers, req, workspaceId }) {
        const input = await csvStream(req);
        const { record, replayed } = await importer.run(workspaceId, input, {
          dryRun: query.dryRun === 'true', onError: query.onError ?? 'reject', provider: query.provider, idempotencyKey: headers['idempotency-key'],
        });
        const out = { Location: `${BASE}/${record.id}`, ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}) };
        if (record.status === 'rejected') {
          const r = record.report;
          const issues = r.rejected.slice(0, ISSUES_SHOWN).map((x) => ({ field: `line ${x.line}${x.column ? `: ${x.column}` : ''}`, reason: x.reason }));
          const error = { code: 'UNPROCESSABLE', message: `${r.rejectedTotal} row(s) rejected; nothing was imported (use onError=skip to import the good rows)`, issues };
          return { status: 422, body: { error, import: record }, headers: out };
        }
        return { status: replayed ? 200 : 201, body: record, headers: out };
      },
    }),
    route({
      method: 'get', path: `${BASE}/:id`, tag: 'campaigns', access: 'viewer', summary: 'An import and its report',
      params: campaignParams, responses: { 200: { description: 'the import', schema: importSchema } }, errors: [404, 503],
      async handler({ params, workspaceId }) {
        const r = await importer.get(workspaceId, params.id);
        if (!r) throw new NotFoundError('import', params.id);
        return { status: 200, body: r };
      },
    }),
  ];
}
