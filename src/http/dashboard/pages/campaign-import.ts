// Importing campaigns from a CSV file in the dashboard: the upload is spooled (the session's CSRF
// token must come before the file in the form), checked by the importer's dry run and shown as its
// report; only a confirmation imports it, from the same spooled file, once.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request, Response, Router } from 'express';
import type { ImportRecord } from '../../../domain/campaigns';
import { HeraldError, NotFoundError } from '../../../domain/errors';
import type { PageContext } from '../deps';
import { fmtNumber, html, when, type Html } from '../html';
import { BASE, csrfField, page, tableWrap } from '../layout';
import { csrfValid, may, viewerOf, type Session, type Viewer } from '../session';

const URL = `${BASE}/campaigns`;
/** An upload waits this long for its confirmation, then its file is removed. */
const UPLOAD_TTL_MS = 3_600_000;
const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

function importerOf(ctx: PageContext) {
  if (!ctx.deps.campaigns) throw new NotFoundError('page', 'campaigns');
  return ctx.deps.campaigns.importer;
}

interface Upload {
  file: string;
  name: string;
  onError: 'reject' | 'skip';
  at: number;
}
type WithUploads = Session & { uploads?: Map<string, Upload> };

function sweepUploads(s: WithUploads): void {
  for (const [token, u] of s.uploads ?? []) {
    if (Date.now() - u.at > UPLOAD_TTL_MS) {
      fs.rm(u.file, { force: true }, () => undefined);
      s.uploads!.delete(token);
    }
  }
}

export function uploadForm(v: Viewer): Html {
  if (!may(v.principal, 'sender')) return html``;
  return html`<section aria-labelledby="h-upload" class="actions-box"><h2 id="h-upload">Import campaigns from a CSV file</h2>
<p class="muted">Columns: message, recepient_nos, campaign, sending_time (extra columns are template data). You see a report first; nothing is imported before you confirm.</p>
<form method="post" action="${URL}/import" enctype="multipart/form-data" class="filters">${csrfField(v)}
  <div><label for="csv-file">CSV file</label><input id="csv-file" name="file" type="file" accept=".csv,text/csv" required></div>
  <div><label for="csv-onerror">Bad rows</label><select id="csv-onerror" name="onError"><option value="reject">reject the whole file</option><option value="skip">skip them, import the rest</option></select></div>
  <div class="actions"><button type="submit">Check the file…</button></div>
</form></section>`;
}

function reportView(r: ImportRecord, v: Viewer, token?: string): Html {
  const rep = r.report;
  return html`<dl class="facts">
  <dt>Rows read</dt><dd>${fmtNumber(rep.rowsRead)}</dd>
  <dt>Rows to import</dt><dd>${fmtNumber(rep.rowsImported)}${rep.rowsExpired ? ` (${rep.rowsExpired} too old: reported, not sent)` : ''}</dd>
  <dt>Rejected rows</dt><dd>${fmtNumber(rep.rejectedTotal)}</dd>
  <dt>Messages</dt><dd>${fmtNumber(rep.messagesPlanned)} (${fmtNumber(rep.duplicates)} repeated numbers sent once)</dd>
  <dt>Segments</dt><dd>${fmtNumber(rep.segments)}</dd>
  <dt>Credits</dt><dd>${fmtNumber(rep.credits)}</dd>
</dl>
${rep.campaigns.length
  ? tableWrap('Campaigns in the file', html`<table><caption>Campaigns in the file</caption><thead><tr><th scope="col">Campaign</th><th scope="col">Recipients</th><th scope="col">Sends at</th><th scope="col">New</th></tr></thead>
<tbody>${rep.campaigns.map((c) => html`<tr><th scope="row">${c.name}</th><td class="num">${fmtNumber(c.recipients)}</td><td>${c.sendAt ? when(c.sendAt) : '—'}</td><td>${c.created ? 'new' : 'adds to an existing one'}</td></tr>`)}</tbody></table>`)
  : ''}
${rep.rejected.length
  ? tableWrap('Rejected rows', html`<table><caption>Rejected rows${rep.rejectedTotal > rep.rejected.length ? ` (the first ${rep.rejected.length} of ${rep.rejectedTotal})` : ''}</caption><thead><tr><th scope="col">Line</th><th scope="col">Column</th><th scope="col">Reason</th></tr></thead>
<tbody>${rep.rejected.map((x) => html`<tr><td class="num">${x.line}</td><td>${x.column ?? ''}</td><td>${x.reason}</td></tr>`)}</tbody></table>`)
  : ''}
${rep.warnings.length ? html`<ul>${rep.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
${token
  ? r.status === 'rejected'
    ? html`<p class="flash error" role="alert">The file would be rejected: fix the rows above, or choose “skip them” to import the rest.</p><p><a href="${URL}">Back to the campaigns</a></p>`
    : html`<form method="post" action="${URL}/import/confirm" class="inline">${csrfField(v)}<input type="hidden" name="upload" value="${token}"><button type="submit">Confirm the import</button></form> <a href="${URL}">Cancel</a>`
  : ''}`;
}

/** The multipart upload: the session's token must come before the file; the file is spooled, then checked (dry run). */
async function upload(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const importer = importerOf(ctx);
  const session = viewer.session as WithUploads;
  sweepUploads(session);
  const file = path.join(os.tmpdir(), `herald-dashboard-${randomBytes(12).toString('hex')}.csv`);
  const fields: Record<string, string> = {};
  let name = '';
  let got = false;
  let refused: string | undefined;
  let written: Promise<void> = Promise.resolve();
  const read = new Promise<void>((resolve, reject) => {
    const bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: MAX_UPLOAD_BYTES, fields: 10 } });
    bb.on('field', (k, v) => (fields[k] = v));
    bb.on('file', (_field, stream, info) => {
      if (!csrfValid(session, fields._csrf)) {
        refused = 'csrf';
        return void stream.resume();
      }
      got = true;
      name = info.filename || 'upload.csv';
      written = pipeline(stream, fs.createWriteStream(file));
      // A body cut short fails the form and this spooling both; the form's error is the one answered, and a
      // rejection nobody awaits would end the process (Node's default for an unhandled rejection).
      written.catch(() => undefined);
      stream.on('limit', () => (refused = 'size'));
    });
    bb.on('close', resolve);
    bb.on('error', reject);
    req.pipe(bb);
  });
  try {
    await read;
    await written;
  } catch {
    fs.rm(file, { force: true }, () => undefined);
    viewer.session.flash = { kind: 'error', text: 'file: the upload was cut short or is not a valid form; try again' };
    return res.redirect(303, URL);
  }
  if (refused === 'csrf' || !csrfValid(session, fields._csrf)) {
    fs.rm(file, { force: true }, () => undefined);
    res.status(403).type('html').send(page({ title: 'Forbidden', viewer, current: URL, body: html`<p>The form's security token is missing or out of date. Reload the page and try again.</p>` }).value);
    return;
  }
  if (!got || refused === 'size') {
    fs.rm(file, { force: true }, () => undefined);
    viewer.session.flash = { kind: 'error', text: refused === 'size' ? `file: larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB` : 'file: choose a CSV file to import' };
    return res.redirect(303, URL);
  }
  const onError = fields.onError === 'skip' ? 'skip' : 'reject';
  try {
    const { record } = await importer.run(viewer.principal.workspaceId, fs.createReadStream(file), { dryRun: true, onError });
    const token = randomBytes(16).toString('hex');
    (session.uploads ??= new Map()).set(token, { file, name, onError, at: Date.now() });
    const body = html`<p>What importing <strong>${name}</strong> would do (nothing is written yet):</p>${reportView(record, viewer, token)}`;
    res.type('html').send(page({ title: 'Check the import', viewer, current: URL, body }).value);
  } catch (e) {
    fs.rm(file, { force: true }, () => undefined);
    if (!(e instanceof HeraldError)) throw e;
    viewer.session.flash = { kind: 'error', text: `${name}: ${e.message}${e.issues.length ? ` (${e.issues.map((i) => `${i.field}: ${i.reason}`).join('; ')})` : ''}` };
    res.redirect(303, URL);
  }
}

async function confirm(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const importer = importerOf(ctx);
  const session = viewer.session as WithUploads;
  const token = String((req.body as Record<string, unknown>).upload ?? '');
  const u = session.uploads?.get(token);
  if (!u) {
    viewer.session.flash = { kind: 'error', text: 'upload: this file was imported already or waited too long; upload it again' };
    return res.redirect(303, URL);
  }
  session.uploads!.delete(token);
  try {
    // The upload's token is the Idempotency-Key: a confirmation sent twice imports once.
    const { record } = await importer.run(viewer.principal.workspaceId, fs.createReadStream(u.file), { dryRun: false, onError: u.onError, idempotencyKey: `dashboard-${token}` });
    const r = record.report;
    viewer.session.flash =
      record.status === 'completed'
        ? { kind: 'ok', text: `${u.name} imported: ${r.campaignsCreated} campaign(s) created, ${r.messagesPlanned} message(s) planned, ${r.rejectedTotal} row(s) skipped.` }
        : { kind: 'error', text: `${u.name} not imported: ${record.error ?? `${r.rejectedTotal} row(s) rejected`}` };
  } catch (e) {
    if (!(e instanceof HeraldError)) throw e;
    viewer.session.flash = { kind: 'error', text: `${u.name} not imported: ${e.message}` };
  } finally {
    fs.rm(u.file, { force: true }, () => undefined);
  }
  res.redirect(303, URL);
}

export function importPages(r: Router, ctx: PageContext): void {
  r.post('/campaigns/import', ctx.allow('sender'), (req, res) => upload(ctx, req, res));
  r.post('/campaigns/import/confirm', ctx.allow('sender'), (req, res) => confirm(ctx, req, res));
}
