// Usage: charts of messages by status, segments and credits over the interval and step the
// operator picks (the usage report the API serves), a table of the same numbers, and the CSV export.
import { pipeline } from 'node:stream/promises';
import type { Request, Response, Router } from 'express';
import { HeraldError } from '../../../domain/errors';
import { USAGE_STATUS_COLUMNS } from '../../../domain/usage';
import { isZone, parseEvery, parseInstant } from '../../../domain/usage-buckets';
import { CHANNELS, type Channel } from '../../../domain/types';
import { messagesCsv } from '../../../services/exports/messages-csv';
import { usageReport, type UsageReport } from '../../../services/usage/report';
import type { PageContext } from '../deps';
import { fmtNumber, html, jsonData, when, withQuery, type Html } from '../html';
import { BASE, page, tableWrap } from '../layout';
import { viewerOf } from '../session';

const STEPS = ['1hour', '6hour', '1day', '1week', '1month'];
const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const day = (d: Date): string => d.toISOString().slice(0, 10);

function chart(id: string, label: string, r: UsageReport, series: Array<{ label: string; values: number[] }>): Html {
  return html`<figure class="chart-box"><figcaption>${label}</figcaption>
<div class="chart" data-chart="${id}" data-source="chart-${id}" role="img" aria-label="${label} (the table below has the numbers)"></div>
${jsonData(`chart-${id}`, { x: r.items.map((b) => b.start.getTime() / 1000), series })}</figure>`;
}

async function usagePage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const today = new Date();
  const f = {
    start: str(req.query.start) || day(new Date(today.getTime() - 6 * 86_400_000)),
    end: str(req.query.end) || day(new Date(today.getTime() + 86_400_000)),
    every: str(req.query.every) || '1day',
    tz: str(req.query.tz) || 'UTC',
    channel: str(req.query.channel),
  };
  const errors: string[] = [];
  const tz = isZone(f.tz) ? f.tz : (errors.push('time zone: must be an IANA zone, e.g. Africa/Nairobi'), 'UTC');
  const every = parseEvery(f.every) ?? (errors.push('step: must be one of ' + STEPS.join(', ')), parseEvery('1day')!);
  const start = parseInstant(f.start, tz) ?? (errors.push('start: must be a date'), undefined);
  const end = parseInstant(f.end, tz) ?? (errors.push('end: must be a date'), undefined);
  const channel = (CHANNELS as readonly string[]).includes(f.channel) ? (f.channel as Channel) : undefined;
  let report: UsageReport | undefined;
  if (start && end && errors.length === 0) {
    try {
      report = await usageReport(ctx.deps.store.usage, { workspaceId: viewer.principal.workspaceId, dimension: 'workspace', key: '*', start, end, every, tz, page: 1, size: 1000, channel });
    } catch (e) {
      if (!(e instanceof HeraldError)) throw e;
      errors.push(...(e.issues.length ? e.issues.map((i) => `${i.field}: ${i.reason}`) : [e.message]));
    }
  }
  const form = html`<form method="get" action="${BASE}/usage" class="filters" aria-label="Usage interval">
  <div><label for="u-start">Start</label><input id="u-start" name="start" type="date" value="${f.start}"></div>
  <div><label for="u-end">End (exclusive)</label><input id="u-end" name="end" type="date" value="${f.end}"></div>
  <div><label for="u-every">Step</label><select id="u-every" name="every">${STEPS.map((s) => html`<option${s === f.every ? html` selected` : ''}>${s}</option>`)}</select></div>
  <div><label for="u-tz">Time zone</label><input id="u-tz" name="tz" value="${f.tz}"></div>
  <div><label for="u-channel">Channel</label><select id="u-channel" name="channel"><option value="">all</option>${CHANNELS.map((c) => html`<option${c === channel ? html` selected` : ''}>${c}</option>`)}</select></div>
  <div class="actions"><button type="submit">Show</button></div>
</form>${errors.length ? html`<p class="flash error" role="alert">${errors.join('; ')}</p>` : ''}`;
  let body: Html = form;
  if (report && start && end) {
    const r = report;
    const col = (k: keyof (typeof r.items)[number]) => r.items.map((b) => Number(b[k]));
    const csv = withQuery(`${BASE}/exports/messages.csv`, { start: start.toISOString(), end: end.toISOString() });
    body = html`${form}
<p><a href="${csv}" download>Download these messages as CSV</a> <span class="muted">(every message created in the interval, one row each)</span></p>
<div class="charts">
${chart('usage-status', 'Messages by status', r, USAGE_STATUS_COLUMNS.map((s) => ({ label: s, values: col(s) })))}
${chart('usage-segments', 'SMS segments', r, [{ label: 'segments', values: col('segments') }])}
${chart('usage-credits', 'Credits', r, [{ label: 'charged', values: col('creditsCharged') }, { label: 'refunded', values: col('creditsRefunded') }])}
</div>
${tableWrap(
  'Usage by bucket',
  html`<table><caption>Usage per ${f.every} in ${tz}${r.total > r.items.length ? ` (first ${r.items.length} of ${r.total} buckets)` : ''}</caption>
<thead><tr><th scope="col">From</th><th scope="col">Messages</th>${USAGE_STATUS_COLUMNS.map((s) => html`<th scope="col">${s}</th>`)}<th scope="col">Segments</th><th scope="col">Credits charged</th><th scope="col">Credits refunded</th></tr></thead>
<tbody>${r.items.map(
    (b) => html`<tr><th scope="row">${when(b.start)}</th><td class="num">${fmtNumber(b.messages)}</td>${USAGE_STATUS_COLUMNS.map((s) => html`<td class="num">${fmtNumber(b[s])}</td>`)}
<td class="num">${fmtNumber(b.segments)}</td><td class="num">${fmtNumber(b.creditsCharged)}</td><td class="num">${fmtNumber(b.creditsRefunded)}</td></tr>`,
  )}</tbody></table>`,
)}`;
  }
  res.type('html').send(page({ title: 'Usage', viewer, current: `${BASE}/usage`, body }).value);
}

export function usagePages(r: Router, ctx: PageContext): void {
  r.get('/usage', (req, res) => usagePage(ctx, req, res));
  // The export GET /v1/exports/messages.csv serves, for a browser signed in with a session instead of a bearer key.
  r.get('/exports/messages.csv', async (req, res) => {
    const start = parseInstant(str(req.query.start), 'UTC');
    const end = parseInstant(str(req.query.end), 'UTC');
    if (!start || !end || end.getTime() <= start.getTime()) {
      res.status(400).type('text').send(!start ? 'start: must be an ISO date' : !end ? 'end: must be an ISO date' : 'end: must be after start');
      return;
    }
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="messages.csv"');
    const stream = messagesCsv(ctx.deps.store.messages.stream({ workspaceId: viewerOf(res).principal.workspaceId, createdFrom: start, createdBefore: end }));
    await pipeline(stream, res).catch((e: unknown) => res.destroy(e as Error));
  });
}
