// Campaigns: the list with progress bars that move live; a CSV upload checked first (the import's
// dry-run report: rows, rejected rows with reasons, campaigns, segments, credits), imported only
// on confirmation; a campaign's counts and estimate; run, pause, resume and cancel.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import type { Request, Response, Router } from 'express';
import { CAMPAIGN_STATUSES, type CampaignStatus, type ImportRecord } from '../../../domain/campaigns';
import { HeraldError, NotFoundError } from '../../../domain/errors';
import type { CampaignView } from '../../../services/campaigns';
import type { PageContext } from '../deps';
import { badge, fmtNumber, html, when, withQuery, type Html } from '../html';
import { BASE, csrfField, page, pager, tableWrap } from '../layout';
import { csrfValid, may, viewerOf, type Session, type Viewer } from '../session';

const URL = `${BASE}/campaigns`;
const PAGE = 25;
/** An upload waits this long for its confirmation, then its file is removed. */
const UPLOAD_TTL_MS = 3_600_000;
const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
/** Message statuses a campaign's progress counts as done. */
const DONE = ['sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected'] as const;

interface Upload {
  file: string;
  name: string;
  onError: 'reject' | 'skip';
  at: number;
}
type WithUploads = Session & { uploads?: Map<string, Upload> };

export interface Progress {
  id: string;
  status: CampaignStatus;
  value: number;
  max: number;
  text: string;
}

export function progressOf(c: CampaignView): Progress {
  const done = DONE.reduce((n, s) => n + (c.counts[s] ?? 0), 0);
  const max = Math.max(c.recipients, 1);
  const pct = c.recipients ? Math.floor((100 * done) / c.recipients) : 0;
  return { id: c.id, status: c.status, value: Math.min(done, max), max, text: `${fmtNumber(done)} of ${fmtNumber(c.recipients)} (${pct} %)` };
}

function campaignsOf(ctx: PageContext) {
  const c = ctx.deps.campaigns;
  if (!c) throw new NotFoundError('page', 'campaigns');
  return c;
}

function sweepUploads(s: WithUploads): void {
  for (const [token, u] of s.uploads ?? []) {
    if (Date.now() - u.at > UPLOAD_TTL_MS) {
      fs.rm(u.file, { force: true }, () => undefined);
      s.uploads!.delete(token);
    }
  }
}

function bar(p: Progress, label: string): Html {
  return html`<progress data-campaign="${p.id}" value="${p.value}" max="${p.max}" aria-label="${label}">${p.text}</progress> <span data-field="campaign.${p.id}.progress">${p.text}</span>`;
}

function actionButtons(v: Viewer, c: CampaignView): Html {
  if (!may(v.principal, 'sender')) return html``;
  const act = (action: string, label: string, cls = '') =>
    html`<form method="post" action="${URL}/${encodeURIComponent(c.id)}/${action}" class="inline">${csrfField(v)}<button type="submit" class="${cls}">${label}</button></form>`;
  const out: Html[] = [];
  if (c.status === 'draft' || c.status === 'scheduled') out.push(act('run', 'Run now'));
  if (c.status === 'running' || c.status === 'scheduled') out.push(act('pause', 'Pause'));
  if (c.status === 'paused') out.push(act('resume', 'Resume'));
  if (c.status !== 'completed' && c.status !== 'cancelled') out.push(act('cancel', 'Cancel…', 'danger'));
  return html`${out}`;
}

function uploadForm(v: Viewer): Html {
  if (!may(v.principal, 'sender')) return html``;
  return html`<section aria-labelledby="h-upload" class="actions-box"><h2 id="h-upload">Import campaigns from a CSV file</h2>
<p class="muted">Columns: message, recepient_nos, campaign, sending_time (extra columns are template data). You see a report first; nothing is imported before you confirm.</p>
<form method="post" action="${URL}/import" enctype="multipart/form-data" class="filters">${csrfField(v)}
  <div><label for="csv-file">CSV file</label><input id="csv-file" name="file" type="file" accept=".csv,text/csv" required></div>
  <div><label for="csv-onerror">Bad rows</label><select id="csv-onerror" name="onError"><option value="reject">reject the whole file</option><option value="skip">skip them, import the rest</option></select></div>
  <div class="actions"><button type="submit">Check the file…</button></div>
</form></section>`;
}

async function listPage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const { service } = campaignsOf(ctx);
  const ws = viewer.principal.workspaceId;
  const status = (CAMPAIGN_STATUSES as readonly string[]).includes(String(req.query.status ?? '')) ? (String(req.query.status) as CampaignStatus) : undefined;
  const skip = Math.max(0, Math.floor(Number(req.query.offset) || 0));
  // The store lists oldest first: the page shows the newest first, read from the end.
  const { total } = await service.list(ws, status ? { status } : {}, { limit: 0, offset: 0 });
  const from = Math.max(0, total - skip - PAGE);
  const count = Math.max(0, Math.min(PAGE, total - skip));
  const page$ = count ? await service.list(ws, status ? { status } : {}, { limit: count, offset: from }) : { items: [] };
  const views = await Promise.all([...page$.items].reverse().map((c) => service.view(c)));
  const body = html`${uploadForm(viewer)}
<form method="get" action="${URL}" class="filters" aria-label="Filter campaigns"><div><label for="c-status">Status</label><select id="c-status" name="status"><option value="">any</option>${CAMPAIGN_STATUSES.map(
    (s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`,
  )}</select></div><div class="actions"><button type="submit">Filter</button></div></form>
<div data-live-campaigns="${withQuery(`${BASE}/events/campaigns`, { ids: views.map((c) => c.id).join(',') })}">
${tableWrap(
  'Campaigns',
  html`<table><caption>Campaigns, newest first, with their progress</caption>
<thead><tr><th scope="col">Campaign</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Sends at</th><th scope="col">Actions</th></tr></thead>
<tbody>${views.length
    ? views.map((c) => {
        const p = progressOf(c);
        return html`<tr><th scope="row"><a href="${URL}/${encodeURIComponent(c.id)}">${c.name}</a></th><td><span class="badge-live" data-field="campaign.${c.id}.status">${badge(c.status)}</span></td>
<td>${bar(p, `Progress of ${c.name}`)}</td><td>${c.sendAt ? when(c.sendAt) : 'when run'}</td><td>${actionButtons(viewer, c)}</td></tr>`;
      })
    : html`<tr><td colspan="5" class="muted">No campaign yet.</td></tr>`}</tbody></table>`,
)}</div>
${pager({ total, limit: PAGE, offset: skip, href: (o) => withQuery(URL, { status, offset: o || undefined }), label: 'campaigns' })}`;
  res.type('html').send(page({ title: 'Campaigns', viewer, current: URL, body }).value);
}

async function detailPage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const { service } = campaignsOf(ctx);
  const ws = viewer.principal.workspaceId;
  const c = await service.get(ws, String(req.params.id));
  // The estimate reads every planned recipient: only while there is still something to decide.
  const estimate = ['draft', 'scheduled', 'paused'].includes(c.status) ? await service.estimate(ws, c.id) : null;
  const p = progressOf(c);
  const counts = Object.entries(c.counts).filter(([, n]) => n);
  const body = html`<div data-live-campaigns="${withQuery(`${BASE}/events/campaigns`, { ids: c.id })}">
<dl class="facts">
  <dt>Status</dt><dd><span class="badge-live" data-field="campaign.${c.id}.status">${badge(c.status)}</span>${c.pauseReason ? ` (${c.pauseReason})` : ''}</dd>
  <dt>Progress</dt><dd>${bar(p, `Progress of ${c.name}`)}</dd>
  <dt>Messages</dt><dd>${counts.length ? counts.map(([s, n], i) => html`${i ? ', ' : ''}${s} ${n}`) : 'none yet'}</dd>
  <dt>Text</dt><dd><pre class="wrap">${c.message}</pre></dd>
  <dt>Sends at</dt><dd>${c.sendAt ? when(c.sendAt) : 'when run'}</dd>
  <dt>Provider</dt><dd>${c.provider ?? 'the channel’s routing'}${c.strictProvider ? ' (only this one)' : ''}</dd>
  ${estimate
    ? html`<dt>Will cost</dt><dd>${fmtNumber(estimate.messages)} messages, ${fmtNumber(estimate.segments)} segments, ${fmtNumber(estimate.credits)} credits${
        estimate.balance === null ? '' : estimate.covered ? ' (the balance covers it)' : html` <strong>(the balance, ${fmtNumber(estimate.balance)}, does not cover it)</strong>`
      }</dd>`
    : ''}
  <dt>Spent</dt><dd>${fmtNumber(c.segments)} segments, ${fmtNumber(c.creditsSpent)} credits</dd>
  <dt>Created</dt><dd>${when(c.createdAt)}</dd>
  ${c.warnings?.length ? html`<dt>Warnings</dt><dd>${c.warnings.join('; ')}</dd>` : ''}
</dl></div>
<p>${actionButtons(viewer, c)}</p>
<p><a href="${BASE}/notifications/${encodeURIComponent(c.id)}">Its messages</a> · <a href="${withQuery(`${BASE}/logs`, { notificationId: c.id })}">its log lines</a></p>`;
  res.type('html').send(page({ title: `Campaign ${c.name}`, viewer, current: URL, body }).value);
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
  const { importer } = campaignsOf(ctx);
  const session = viewer.session as WithUploads;
  sweepUploads(session);
  const file = path.join(os.tmpdir(), `herald-dashboard-${randomBytes(12).toString('hex')}.csv`);
  const fields: Record<string, string> = {};
  let name = '';
  let got = false;
  let refused: string | undefined;
  let written: Promise<void> = Promise.resolve();
  await new Promise<void>((resolve, reject) => {
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
      stream.on('limit', () => (refused = 'size'));
    });
    bb.on('close', resolve);
    bb.on('error', reject);
    req.pipe(bb);
  });
  await written;
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
  const { importer } = campaignsOf(ctx);
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

export function campaignPages(r: Router, ctx: PageContext): void {
  if (!ctx.deps.campaigns) return;
  const { service } = ctx.deps.campaigns;
  r.get('/campaigns', (req, res) => listPage(ctx, req, res));
  r.get('/campaigns/:id', (req, res) => detailPage(ctx, req, res));
  r.post('/campaigns/import', ctx.allow('sender'), (req, res) => upload(ctx, req, res));
  r.post('/campaigns/import/confirm', ctx.allow('sender'), (req, res) => confirm(ctx, req, res));
  for (const action of ['run', 'pause', 'resume', 'cancel'] as const) {
    r.post(`/campaigns/:id/${action}`, ctx.allow('sender'), async (req, res) => {
      const viewer = viewerOf(res);
      const ws = viewer.principal.workspaceId;
      const id = String(req.params.id);
      const back = `${URL}/${encodeURIComponent(id)}`;
      if (action === 'cancel' && (req.body as Record<string, unknown>).confirm !== 'yes') {
        const c = await service.get(ws, id);
        const body = html`<p>Cancel campaign <strong>${c.name}</strong>? Its ${fmtNumber(c.counts.unsent ?? 0)} unsent message(s) will not go out.</p>
<form method="post" action="${back}/cancel" class="inline">${csrfField(viewer)}<input type="hidden" name="confirm" value="yes"><button type="submit" class="danger">Yes, cancel it</button></form> <a href="${back}">No, keep it</a>`;
        res.type('html').send(page({ title: 'Confirm: cancel campaign', viewer, current: URL, body }).value);
        return;
      }
      try {
        const c = await service[action](ws, id);
        viewer.session.flash = { kind: 'ok', text: `Campaign ${c.name}: ${c.status}.` };
      } catch (e) {
        if (!(e instanceof HeraldError) || e instanceof NotFoundError) throw e;
        viewer.session.flash = { kind: 'error', text: e.message };
      }
      res.redirect(303, back);
    });
  }
}

/** Progress of the listed campaigns (of the viewer's workspace only), for the live stream. */
export async function campaignProgress(ctx: PageContext, ws: string, ids: string[]): Promise<Progress[]> {
  const c = ctx.deps.campaigns;
  if (!c) return [];
  const views = await Promise.all(ids.slice(0, PAGE * 2).map((id) => c.service.get(ws, id).catch(() => null)));
  return views.filter((v): v is CampaignView => v !== null).map(progressOf);
}
