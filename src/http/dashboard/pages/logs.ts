// The consolidated log: filters by level, process, notification and text; follow appends new lines live.
import type { Request, Response, Router } from 'express';
import type { LogLine } from '../../../domain/types';
import type { LogQuery } from '../../../store/store';
import type { Principal } from '../../../services/tenancy/keys';
import type { PageContext } from '../deps';
import { badge, html, when, withQuery, type Html } from '../html';
import { BASE, page, tableWrap } from '../layout';
import { viewerOf } from '../session';

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;
const str = (v: unknown): string => (typeof v === 'string' ? v.trim().slice(0, 200) : '');

export function logRow(l: LogLine): Html {
  const meta = l.meta && Object.keys(l.meta).length ? JSON.stringify(l.meta) : '';
  return html`<tr data-seq="${l.seq ?? ''}"><td>${when(l.time)}</td><td>${badge(l.level === 'warn' ? 'warn' : l.level === 'error' ? 'error' : l.level)}</td><td>${l.process}</td>
<td>${l.message}${meta ? html` <code class="meta">${meta}</code>` : ''}</td><td>${l.notificationId ? html`<a href="${BASE}/notifications/${encodeURIComponent(l.notificationId)}">${l.notificationId.slice(0, 8)}</a>` : ''}</td></tr>`;
}

export function logTable(lines: LogLine[], caption: string, bodyAttrs: Html = html``): Html {
  return tableWrap(
    caption,
    html`<table class="log"><caption>${caption}</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Level</th><th scope="col">Process</th><th scope="col">Message</th><th scope="col">Notification</th></tr></thead>
<tbody ${bodyAttrs}>${lines.length ? lines.map(logRow) : html`<tr class="empty"><td colspan="5" class="muted">No log line.</td></tr>`}</tbody></table>`,
  );
}

export interface LogFilter {
  level?: string;
  process?: string;
  notificationId?: string;
  grep?: string;
}

export function logFilterOf(q: Record<string, unknown>): LogFilter {
  const level = str(q.level);
  return {
    ...((LEVELS as readonly string[]).includes(level) ? { level } : {}),
    ...(str(q.process) ? { process: str(q.process) } : {}),
    ...(str(q.notificationId) ? { notificationId: str(q.notificationId) } : {}),
    ...(str(q.grep) ? { grep: str(q.grep) } : {}),
  };
}

/** The same scope as GET /v1/logs: an admin reads every line, anyone else their workspace's. */
export function logQuery(principal: Principal, f: LogFilter, extra: Partial<LogQuery>): LogQuery {
  return { ...f, ...(principal.role === 'admin' ? {} : { workspaceId: principal.workspaceId }), limit: 200, ...extra };
}

async function logsPage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const f = logFilterOf(req.query as Record<string, unknown>);
  const lines = await ctx.deps.store.logs.query(logQuery(viewer.principal, f, { newest: true }));
  const last = lines.at(-1)?.seq ?? 0;
  const body = html`<form method="get" action="${BASE}/logs" class="filters" aria-label="Filter the log">
  <div><label for="l-level">Level (and above)</label><select id="l-level" name="level"><option value="">any</option>${LEVELS.map((l) => html`<option${l === f.level ? html` selected` : ''}>${l}</option>`)}</select></div>
  <div><label for="l-process">Process</label><input id="l-process" name="process" value="${f.process ?? ''}"></div>
  <div><label for="l-notification">Notification id</label><input id="l-notification" name="notificationId" value="${f.notificationId ?? ''}"></div>
  <div><label for="l-grep">Text</label><input id="l-grep" name="grep" value="${f.grep ?? ''}"></div>
  <div class="actions"><button type="submit">Filter</button> <a href="${BASE}/logs">Clear</a></div>
</form>
<p><label><input type="checkbox" id="follow" data-follow="${withQuery(`${BASE}/events/logs`, { ...f })}" data-after="${last}"> Follow: add new lines as they come</label>
<span class="muted" id="follow-state" aria-live="polite"></span></p>
${logTable(lines, 'Log lines, oldest first (the newest 200)', html`id="log-lines"`)}`;
  res.type('html').send(page({ title: 'Log', viewer, current: `${BASE}/logs`, body }).value);
}

export function logPages(r: Router, ctx: PageContext): void {
  r.get('/logs', (req, res) => logsPage(ctx, req, res));
}
