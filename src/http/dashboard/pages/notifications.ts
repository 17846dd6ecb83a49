// Notifications: a paged list by program, status and creation time; one notification's window,
// counts, messages and log lines, with cancel and close-the-window for senders; one message's history.
import type { Request, Response, Router } from 'express';
import { HeraldError, NotFoundError, ValidationError } from '../../../domain/errors';
import { MESSAGE_STATUSES, NOTIFICATION_STATUSES, type Message, type MessageStatus, type Notification, type NotificationStatus } from '../../../domain/types';
import type { NotificationSummary } from '../../../services/notification-service';
import type { PageContext } from '../deps';
import { badge, html, when, withQuery, type Html } from '../html';
import { BASE, csrfField, page, pager, tableWrap } from '../layout';
import { may, viewerOf, type Viewer } from '../session';
import { logTable } from './logs';

const PAGE = 25;
const LIST = `${BASE}/notifications`;

/** A `datetime-local` value (no zone) read as UTC; a full ISO instant as given; undefined when empty or not a date. */
export function parseUtc(text: unknown): Date | undefined {
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  const t = text.trim();
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}${t.length <= 10 ? 'T00:00' : ''}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const offsetOf = (v: unknown): number => Math.max(0, Math.min(1_000_000, Math.floor(Number(v) || 0)));

function filterForm(f: Record<string, string>, errors: string[]): Html {
  return html`<form method="get" action="${LIST}" class="filters" aria-label="Filter notifications">
  <div><label for="f-program">Program</label><input id="f-program" name="program" value="${f.program}"></div>
  <div><label for="f-status">Status</label><select id="f-status" name="status"><option value="">any</option>${NOTIFICATION_STATUSES.map(
    (s) => html`<option${s === f.status ? html` selected` : ''}>${s}</option>`,
  )}</select></div>
  <div><label for="f-from">Created from (UTC)</label><input id="f-from" name="from" type="datetime-local" value="${f.from}"></div>
  <div><label for="f-to">Created before (UTC)</label><input id="f-to" name="to" type="datetime-local" value="${f.to}"></div>
  <div class="actions"><button type="submit">Filter</button> <a href="${LIST}">Clear</a></div>
</form>${errors.length ? html`<p class="flash error" role="alert">${errors.join('; ')}</p>` : ''}`;
}

function notificationRow(n: Notification): Html {
  return html`<tr><td><a href="${LIST}/${encodeURIComponent(n.id)}">${n.id}</a></td><td>${when(n.createdAt)}</td><td>${n.programId} / ${n.eventTypeId}</td>
<td>${badge(n.status)}</td><td>${when(n.startTime)} → ${n.endTime ? when(n.endTime) : html`<span class="muted">open</span>`}</td><td class="num">${n.dispatch.messages}</td></tr>`;
}

async function listPage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const f = { program: str(req.query.program), status: str(req.query.status), from: str(req.query.from), to: str(req.query.to) };
  const errors: string[] = [];
  const status = (NOTIFICATION_STATUSES as readonly string[]).includes(f.status) ? (f.status as NotificationStatus) : undefined;
  if (f.status && !status) errors.push(`status: must be one of ${NOTIFICATION_STATUSES.join(', ')}`);
  const from = parseUtc(f.from);
  const to = parseUtc(f.to);
  if (f.from && !from) errors.push('created from: must be a date and time');
  if (f.to && !to) errors.push('created before: must be a date and time');
  const offset = offsetOf(req.query.offset);
  const ids = await ctx.deps.store.search.notificationIds(
    { workspaceId: viewer.principal.workspaceId, ...(f.program ? { programId: f.program } : {}), ...(status ? { status } : {}), ...(from ? { createdFrom: from } : {}), ...(to ? { createdBefore: to } : {}) },
    { limit: PAGE, offset },
  );
  const items = (await Promise.all(ids.items.map((id) => ctx.deps.store.notifications.get(id)))).filter((n): n is Notification => n !== null);
  const href = (o: number) => withQuery(LIST, { ...f, offset: o || undefined });
  const body = html`${filterForm(f, errors)}
${tableWrap(
  'Notifications',
  html`<table><caption>Notifications, newest first</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Created</th><th scope="col">Program / event type</th><th scope="col">Status</th><th scope="col">Window</th><th scope="col">Messages</th></tr></thead>
<tbody>${items.length ? items.map(notificationRow) : html`<tr><td colspan="6" class="muted">No notification matches.</td></tr>`}</tbody></table>`,
)}
${pager({ total: ids.total, limit: PAGE, offset, href, label: 'notifications' })}`;
  res.type('html').send(page({ title: 'Notifications', viewer, current: LIST, body }).value);
}

export const MESSAGE_HEADERS = html`<th scope="col">Recipient</th><th scope="col">Channel</th><th scope="col">To</th><th scope="col">Status</th><th scope="col">Provider</th><th scope="col">Attempts</th><th scope="col">Updated</th>`;

export function messageRow(m: Message): Html {
  return html`<tr><td><a href="${BASE}/messages/${encodeURIComponent(m.id)}">${m.userId}</a></td><td>${m.channel}</td><td>${m.to || html`<span class="muted">none</span>`}</td>
<td>${badge(m.status)}</td><td>${m.provider ?? '—'}</td><td class="num">${m.attempts}</td><td>${when(m.updatedAt)}</td></tr>`;
}

/** Where a message came from: its campaign (when it has one: its notificationId is the campaign's id) or its notification. */
export function originLink(m: Message): Html {
  const campaignId = (m as Message & { campaignId?: string }).campaignId;
  return campaignId
    ? html`<a href="${BASE}/campaigns/${encodeURIComponent(campaignId)}">campaign</a>`
    : html`<a href="${LIST}/${encodeURIComponent(m.notificationId)}">${m.programId} / ${m.eventTypeId}</a>`;
}

const FINAL_NOTIFICATION: NotificationStatus[] = ['cancelled', 'expired'];

function actions(v: Viewer, n: NotificationSummary): Html {
  if (!may(v.principal, 'sender') || FINAL_NOTIFICATION.includes(n.status)) return html``;
  const url = `${LIST}/${encodeURIComponent(n.id)}`;
  const canClose = n.validUntil.getTime() > Date.now();
  return html`<section aria-labelledby="h-actions" class="actions-box"><h2 id="h-actions">Actions</h2>
<form method="post" action="${url}/cancel" class="inline">${csrfField(v)}<button type="submit" class="danger">Cancel notification…</button></form>
${canClose
  ? html`<form method="post" action="${url}/close" class="inline">${csrfField(v)}
  <label for="close-end">Close the window at (UTC, empty: now)</label> <input id="close-end" name="endTime" type="datetime-local">
  <button type="submit">${n.endTime ? 'Move the window end' : 'Close the window'}</button></form>`
  : ''}
</section>`;
}

async function detailPage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const ws = viewer.principal.workspaceId;
  const id = String(req.params.id);
  const n = await ctx.deps.notifications.get(ws, id);
  if (!n) throw new NotFoundError('notification', id);
  const mstatus = (MESSAGE_STATUSES as readonly string[]).includes(str(req.query.mstatus)) ? (str(req.query.mstatus) as MessageStatus) : undefined;
  const offset = offsetOf(req.query.offset);
  const [messages, lines] = await Promise.all([
    ctx.deps.notifications.messages(ws, id, mstatus ? { status: mstatus } : {}, { limit: PAGE, offset }),
    ctx.deps.store.logs.query({ workspaceId: ws, notificationId: id, limit: 100, newest: true }),
  ]);
  const url = `${LIST}/${encodeURIComponent(id)}`;
  const counts = Object.entries(n.counts).filter(([, c]) => c);
  const body = html`<dl class="facts">
  <dt>Status</dt><dd>${badge(n.status)}</dd>
  <dt>Program / event type</dt><dd>${n.programId} / ${n.eventTypeId}</dd>
  <dt>Window</dt><dd>${when(n.startTime)} → ${n.endTime ? when(n.endTime) : html`<span class="muted">open</span>`}</dd>
  <dt>Valid until</dt><dd>${when(n.validUntil)}</dd>
  <dt>Source</dt><dd>${n.source}</dd>
  <dt>Created</dt><dd>${when(n.createdAt)}</dd>
  <dt>Messages</dt><dd>${n.total} ${counts.length ? html`(${counts.map(([s, c], i) => html`${i ? ', ' : ''}${s} ${c}`)})` : ''}</dd>
  ${n.warnings?.length ? html`<dt>Warnings</dt><dd>${n.warnings.join('; ')}</dd>` : ''}
</dl>
${actions(viewer, n)}
<section aria-labelledby="h-messages"><h2 id="h-messages">Messages</h2>
<form method="get" action="${url}" class="filters" aria-label="Filter messages"><div><label for="m-status">Status</label><select id="m-status" name="mstatus"><option value="">any</option>${MESSAGE_STATUSES.map(
    (s) => html`<option${s === mstatus ? html` selected` : ''}>${s}</option>`,
  )}</select></div><div class="actions"><button type="submit">Filter</button></div></form>
${tableWrap(
  'Messages',
  html`<table><caption>Messages of this notification (open one for its status history)</caption>
<thead><tr>${MESSAGE_HEADERS}</tr></thead>
<tbody>${messages.items.length ? messages.items.map(messageRow) : html`<tr><td colspan="7" class="muted">No message yet.</td></tr>`}</tbody></table>`,
)}
${pager({ total: messages.total, limit: PAGE, offset, href: (o) => withQuery(url, { mstatus, offset: o || undefined }), label: 'messages' })}
</section>
<section aria-labelledby="h-log"><h2 id="h-log">Log lines</h2>${logTable(lines, 'Log lines of this notification')}
<p><a href="${withQuery(`${BASE}/logs`, { notificationId: id })}">Open in the log view</a></p></section>`;
  res.type('html').send(page({ title: `Notification ${id}`, viewer, current: LIST, body }).value);
}

async function messagePage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const ws = viewer.principal.workspaceId;
  const id = String(req.params.id);
  const m = await ctx.deps.store.messages.get(id);
  if (!m || m.workspaceId !== ws) throw new NotFoundError('message', id);
  const lines = await ctx.deps.store.logs.query({ workspaceId: ws, messageId: id, limit: 100, newest: true });
  const body = html`<dl class="facts">
  <dt>Status</dt><dd>${badge(m.status)}</dd>
  <dt>From</dt><dd>${originLink(m)} <span class="muted">${m.notificationId}</span></dd>
  <dt>Recipient</dt><dd>${m.userId} · ${m.channel} · ${m.to || 'no address'}</dd>
  <dt>Provider</dt><dd>${m.provider ?? '—'}${m.providerStatus ? ` (${m.providerStatus})` : ''}</dd>
  <dt>Attempts</dt><dd>${m.attempts}</dd>
  ${m.sms ? html`<dt>SMS</dt><dd>${m.sms.segments} segment(s), ${m.sms.encoding}</dd>` : ''}
  ${m.error ? html`<dt>Error</dt><dd>${m.error.code}: ${m.error.message}</dd>` : ''}
  <dt>Text</dt><dd><pre class="wrap">${m.content.subject ? `${m.content.subject}\n\n` : ''}${m.content.text}</pre></dd>
</dl>
<section aria-labelledby="h-history"><h2 id="h-history">Status history</h2>
${tableWrap(
  'Status history',
  html`<table><caption>Every status this message went through, oldest first</caption>
<thead><tr><th scope="col">At</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Provider</th><th scope="col">Provider status</th></tr></thead>
<tbody>${m.statusHistory.map((h) => html`<tr><td>${when(h.at)}</td><td>${badge(h.status)}</td><td>${h.reason ?? ''}</td><td>${h.provider ?? ''}</td><td>${h.providerStatus ?? ''}</td></tr>`)}</tbody></table>`,
)}</section>
<section aria-labelledby="h-mlog"><h2 id="h-mlog">Log lines</h2>${logTable(lines, 'Log lines of this message')}</section>`;
  res.type('html').send(page({ title: `Message to ${m.userId}`, viewer, current: LIST, body }).value);
}

/** An action's failure the operator can fix (a window end in the past, already cancelled): said on the page, not a crash. */
async function act(res: Response, back: string, fn: () => Promise<string>): Promise<void> {
  const viewer = viewerOf(res);
  try {
    viewer.session.flash = { kind: 'ok', text: await fn() };
  } catch (e) {
    if (!(e instanceof HeraldError) || e instanceof NotFoundError) throw e;
    const detail = e.issues.map((i) => `${i.field}: ${i.reason}`).join('; ');
    viewer.session.flash = { kind: 'error', text: detail ? `${e.message} (${detail})` : e.message };
  }
  res.redirect(303, back);
}

export function notificationPages(r: Router, ctx: PageContext): void {
  r.get('/notifications', (req, res) => listPage(ctx, req, res));
  r.get('/notifications/:id', (req, res) => detailPage(ctx, req, res));
  r.get('/messages/:id', (req, res) => messagePage(ctx, req, res));
  r.post('/notifications/:id/cancel', ctx.allow('sender'), async (req, res) => {
    const viewer = viewerOf(res);
    const id = String(req.params.id);
    const back = `${LIST}/${encodeURIComponent(id)}`;
    if ((req.body as Record<string, unknown>).confirm !== 'yes') {
      const n = await ctx.deps.notifications.get(viewer.principal.workspaceId, id);
      if (!n) throw new NotFoundError('notification', id);
      const pending = (n.counts.accepted ?? 0) + (n.counts.scheduled ?? 0) + (n.counts.queued ?? 0);
      const body = html`<p>Cancel notification <strong>${id}</strong> (${n.programId} / ${n.eventTypeId})? ${pending} message(s) not yet handed to a provider will not be sent; reserved credits come back.</p>
<form method="post" action="${back}/cancel" class="inline">${csrfField(viewer)}<input type="hidden" name="confirm" value="yes"><button type="submit" class="danger">Yes, cancel it</button></form>
<a href="${back}">No, keep it</a>`;
      res.type('html').send(page({ title: 'Confirm: cancel notification', viewer, current: LIST, body }).value);
      return;
    }
    await act(res, back, async () => {
      const after = await ctx.deps.notifications.cancel(viewer.principal.workspaceId, id);
      return `Notification cancelled (${after.counts.cancelled ?? 0} message(s) cancelled).`;
    });
  });
  r.post('/notifications/:id/close', ctx.allow('sender'), async (req, res) => {
    const viewer = viewerOf(res);
    const id = String(req.params.id);
    const sent = str((req.body as Record<string, unknown>).endTime);
    const endTime = sent ? parseUtc(sent) : new Date();
    await act(res, `${LIST}/${encodeURIComponent(id)}`, async () => {
      if (!endTime) throw new ValidationError([{ field: 'endTime', reason: 'must be a date and time' }], 'the window end is not a date');
      const n = await ctx.deps.notifications.close(viewer.principal.workspaceId, id, endTime);
      return `Window closed at ${n.endTime?.toISOString() ?? endTime.toISOString()}.`;
    });
  });
}
