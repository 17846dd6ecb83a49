// Overview: today's messages by status and channel, delivery rate, messages per minute, the live
// balance, provider health and queue depths. Every figure carries data-field: the live stream refreshes it.
import type { Request, Response } from 'express';
import { USAGE_STATUS_COLUMNS } from '../../../domain/usage';
import { CHANNELS } from '../../../domain/types';
import { badge, fmtNumber, html, jsonData } from '../html';
import { page, tableWrap, BASE } from '../layout';
import { overviewData, type OverviewData } from '../overview-data';
import { may, viewerOf } from '../session';
import type { PageContext } from '../deps';

/** Every live figure as display text by field name: the page and the stream use the same. */
export function overviewFields(d: OverviewData): Record<string, string> {
  const f: Record<string, string> = {};
  for (const c of CHANNELS) {
    for (const s of USAGE_STATUS_COLUMNS) f[`today.${c}.${s}`] = fmtNumber(d.today[c][s]);
    f[`today.${c}.total`] = fmtNumber(USAGE_STATUS_COLUMNS.reduce((n, s) => n + d.today[c][s], 0));
  }
  f['totals.messages'] = fmtNumber(d.totals.messages);
  f['totals.deliveryRate'] = d.totals.deliveryRate === null ? '—' : `${d.totals.deliveryRate.toFixed(1)} %`;
  if (d.balance) f.balance = d.balance.value === null ? 'unmetered' : fmtNumber(d.balance.value);
  for (const p of d.providers ?? []) {
    f[`provider.${p.id}.state`] = p.state;
    f[`provider.${p.id}.errorRate`] = p.errorRate === null ? '—' : `${p.errorRate.toFixed(1)} %`;
    f[`provider.${p.id}.latency`] = p.latencyMs === null ? '—' : `${p.latencyMs} ms`;
    f[`provider.${p.id}.sent`] = fmtNumber(p.sent);
    f[`provider.${p.id}.failed`] = fmtNumber(p.failed);
  }
  for (const [q, n] of Object.entries(d.queues ?? {})) f[`queue.${q}`] = fmtNumber(n);
  return f;
}

const field = (f: Record<string, string>, key: string) => html`<span data-field="${key}">${f[key] ?? '—'}</span>`;

function todayTable(d: OverviewData, f: Record<string, string>) {
  return tableWrap(
    "Today's messages by status and channel",
    html`<table>
  <caption>Messages accepted today (${d.day}, UTC) by current status</caption>
  <thead><tr><th scope="col">Channel</th>${USAGE_STATUS_COLUMNS.map((s) => html`<th scope="col">${s}</th>`)}<th scope="col">total</th></tr></thead>
  <tbody>${CHANNELS.map((c) => html`<tr><th scope="row">${c}</th>${USAGE_STATUS_COLUMNS.map((s) => html`<td class="num">${field(f, `today.${c}.${s}`)}</td>`)}<td class="num">${field(f, `today.${c}.total`)}</td></tr>`)}</tbody>
</table>`,
  );
}

function providerTable(d: OverviewData, f: Record<string, string>) {
  if (!d.providers) return html`<p class="muted">Provider health is shown to admins (the providers API is admin-only).</p>`;
  return tableWrap(
    'Provider health',
    html`<table>
  <caption>Providers: circuit state, error rate (all workers), average call time (this process)</caption>
  <thead><tr><th scope="col">Provider</th><th scope="col">Channel</th><th scope="col">State</th><th scope="col">Error rate</th><th scope="col">Latency</th><th scope="col">Sent</th><th scope="col">Failed</th></tr></thead>
  <tbody>${d.providers.map(
    (p) => html`<tr><th scope="row"><a href="${BASE}/providers#p-${p.id}">${p.id}</a> <span class="muted">${p.type}</span></th><td>${p.channel}</td>
    <td><span data-field="provider.${p.id}.state" class="badge-live">${badge(p.state)}</span></td><td class="num">${field(f, `provider.${p.id}.errorRate`)}</td>
    <td class="num">${field(f, `provider.${p.id}.latency`)}</td><td class="num">${field(f, `provider.${p.id}.sent`)}</td><td class="num">${field(f, `provider.${p.id}.failed`)}</td></tr>`,
  )}</tbody>
</table>`,
  );
}

export function overviewPage(ctx: PageContext) {
  return async (_req: Request, res: Response) => {
    const viewer = viewerOf(res);
    const d = await overviewData(ctx.deps, viewer.principal);
    const f = overviewFields(d);
    const body = html`<div data-live-overview="${BASE}/events/overview">
<section class="cards" aria-label="Key figures">
  <div class="card"><h2>Messages today</h2><p class="big">${field(f, 'totals.messages')}</p></div>
  <div class="card"><h2>Delivery rate</h2><p class="big">${field(f, 'totals.deliveryRate')}</p><p class="muted">sent or delivered, of messages that finished</p></div>
  <div class="card"><h2>Credit balance</h2>${
    d.balance
      ? html`<p class="big" aria-live="polite"><span data-live-balance="${BASE}/events/balance" data-field="balance">${f.balance}</span> <span class="muted">${d.balance.currencyName}</span></p>`
      : html`<p class="muted">No credit account</p>`
  }</div>
  ${may(viewer.principal, 'admin')
    ? html`<div class="card"><h2>Queue depth</h2>${
        d.queues
          ? html`<ul class="plain">${Object.keys(d.queues).map((q) => html`<li>${q} ${field(f, `queue.${q}`)}</li>`)}</ul>`
          : html`<p class="muted">The queue does not answer</p>`
      }</div>`
    : ''}
</section>
<section aria-labelledby="h-today"><h2 id="h-today">Today by status and channel</h2>${todayTable(d, f)}</section>
<section aria-labelledby="h-rate"><h2 id="h-rate">Messages per minute</h2>
  <p class="muted">Average per hour over the last 24 hours (the current hour so far), from the usage counters.</p>
  <div class="chart" data-chart="per-minute" data-source="chart-per-minute" role="img" aria-label="Messages per minute, last 24 hours"></div>
  ${jsonData('chart-per-minute', { x: d.perMinute.hours, series: [{ label: 'messages / minute', values: d.perMinute.values }] })}
</section>
<section aria-labelledby="h-providers"><h2 id="h-providers">Provider health</h2>${providerTable(d, f)}</section>
</div>`;
    res.type('html').send(page({ title: 'Overview', viewer, current: '/', body }).value);
  };
}
