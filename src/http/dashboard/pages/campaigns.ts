// Campaigns: the list with progress bars that move live (a CSV upload on top: campaign-import.ts);
// a campaign's counts, cost and messages; run, pause, resume and cancel.
import type { Request, Response, Router } from 'express';
import { CAMPAIGN_STATUSES, type Campaign, type CampaignStatus } from '../../../domain/campaigns';
import type { Store } from '../../../store/store';
import { HeraldError, NotFoundError } from '../../../domain/errors';
import type { CampaignView } from '../../../services/campaigns';
import type { PageContext } from '../deps';
import { badge, fmtNumber, html, when, withQuery, type Html } from '../html';
import { BASE, csrfField, page, pager, tableWrap } from '../layout';
import { may, viewerOf, type Viewer } from '../session';
import { importPages, uploadForm } from './campaign-import';
import { messageRow, MESSAGE_HEADERS } from './notifications';

const URL = `${BASE}/campaigns`;
const PAGE = 25;
/** Message statuses a campaign's progress counts as done. */
const DONE = ['sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected'] as const;

export interface Progress {
  id: string;
  status: CampaignStatus;
  value: number;
  max: number;
  text: string;
}

function progress(c: Campaign, done: number): Progress {
  const max = Math.max(c.recipients, 1);
  const pct = c.recipients ? Math.floor((100 * done) / c.recipients) : 0;
  return { id: c.id, status: c.status, value: Math.min(done, max), max, text: `${fmtNumber(done)} of ${fmtNumber(c.recipients)} (${pct} %)` };
}

/** From the campaign's message counts (one campaign's page). */
export function progressOf(c: CampaignView): Progress {
  return progress(c, DONE.reduce((n, s) => n + (c.counts[s] ?? 0), 0));
}

/**
 * From the usage rollups (the list and the live stream): a few counter rows per campaign, never its
 * messages. A cancelled campaign's recipients that never got a message count as done, as in its counts.
 */
export async function progressFromRollups(store: Store, c: Campaign): Promise<Progress> {
  const hours = await store.usage.hourly({
    workspaceId: c.workspaceId, dimension: 'campaign', key: c.id, from: new Date(c.createdAt.getTime() - 3_600_000), to: new Date(Date.now() + 3_600_000),
  });
  const finished = hours.reduce((n, h) => n + DONE.reduce((m, s) => m + h.counts[s], 0), 0);
  return progress(c, finished + (c.status === 'cancelled' ? Math.max(0, c.recipients - c.run.messages) : 0));
}

function campaignsOf(ctx: PageContext) {
  const c = ctx.deps.campaigns;
  if (!c) throw new NotFoundError('page', 'campaigns');
  return c;
}

function bar(p: Progress, label: string): Html {
  return html`<progress data-campaign="${p.id}" value="${p.value}" max="${p.max}" aria-label="${label}">${p.text}</progress> <span data-field="campaign.${p.id}.progress">${p.text}</span>`;
}

function actionButtons(v: Viewer, c: Campaign): Html {
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
  const campaigns = [...page$.items].reverse();
  const progresses = await Promise.all(campaigns.map((c) => progressFromRollups(ctx.deps.store, c)));
  const body = html`${uploadForm(viewer)}
<form method="get" action="${URL}" class="filters" aria-label="Filter campaigns"><div><label for="c-status">Status</label><select id="c-status" name="status"><option value="">any</option>${CAMPAIGN_STATUSES.map(
    (s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`,
  )}</select></div><div class="actions"><button type="submit">Filter</button></div></form>
<div data-live-campaigns="${withQuery(`${BASE}/events/campaigns`, { ids: campaigns.map((c) => c.id).join(',') })}">
${tableWrap(
  'Campaigns',
  html`<table><caption>Campaigns, newest first, with their progress</caption>
<thead><tr><th scope="col">Campaign</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Sends at</th><th scope="col">Actions</th></tr></thead>
<tbody>${campaigns.length
    ? campaigns.map((c, i) => {
        const p = progresses[i];
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
  const offset = Math.max(0, Math.floor(Number(req.query.offset) || 0));
  const messages = await service.messages(ws, c.id, {}, { limit: PAGE, offset });
  const here = `${URL}/${encodeURIComponent(c.id)}`;
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
<section aria-labelledby="h-cmessages"><h2 id="h-cmessages">Messages</h2>
${tableWrap(
  'Messages of this campaign',
  html`<table><caption>Messages of this campaign (open one for its status history)</caption><thead><tr>${MESSAGE_HEADERS}</tr></thead>
<tbody>${messages.items.length ? messages.items.map(messageRow) : html`<tr><td colspan="7" class="muted">No message yet.</td></tr>`}</tbody></table>`,
)}
${pager({ total: messages.total, limit: PAGE, offset, href: (o) => withQuery(here, { offset: o || undefined }), label: 'messages' })}
<p><a href="${withQuery(`${BASE}/logs`, { notificationId: c.id })}">Its log lines</a></p></section>`;
  res.type('html').send(page({ title: `Campaign ${c.name}`, viewer, current: URL, body }).value);
}

export function campaignPages(r: Router, ctx: PageContext): void {
  if (!ctx.deps.campaigns) return;
  const { service } = ctx.deps.campaigns;
  r.get('/campaigns', (req, res) => listPage(ctx, req, res));
  r.get('/campaigns/:id', (req, res) => detailPage(ctx, req, res));
  importPages(r, ctx);
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
  if (!ctx.deps.campaigns) return [];
  const { store } = ctx.deps;
  const found = await Promise.all(ids.slice(0, PAGE * 2).map((id) => store.campaigns.get(id)));
  return Promise.all(found.filter((c): c is Campaign => c !== null && c.workspaceId === ws).map((c) => progressFromRollups(store, c)));
}
