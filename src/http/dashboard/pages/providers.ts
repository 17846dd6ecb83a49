// Providers (admin): the routing every worker follows — order, weight, pause, rate limit per
// channel — changed at run time after a confirmation step; circuit state, counters and last errors.
import type { Request, Response, Router } from 'express';
import { NotFoundError } from '../../../domain/errors';
import type { LogLine } from '../../../domain/types';
import type { ProviderView } from '../../../services/provider-control';
import type { ProviderControlPatch } from '../../../store/store';
import type { PageContext } from '../deps';
import { badge, html, when, type Html } from '../html';
import { BASE, csrfField, page } from '../layout';
import { viewerOf, type Viewer } from '../session';

const URL = `${BASE}/providers`;

interface Parsed {
  patch: ProviderControlPatch;
  issues: string[];
}

function intField(body: Record<string, unknown>, name: string, min: number, max: number, issues: string[], allowEmpty = false): number | null | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  const t = String(v).trim();
  if (t === '') {
    if (allowEmpty) return null;
    issues.push(`${name}: is required`);
    return undefined;
  }
  const n = Number(t);
  if (!Number.isFinite(n) || (name !== 'weight' && !Number.isInteger(n)) || n < min || n > max) {
    issues.push(`${name}: must be a${name === 'weight' ? ' number' : 'n integer'} from ${min} to ${max}${allowEmpty ? ' (empty: unlimited)' : ''}`);
    return undefined;
  }
  return n;
}

/** The form's fields as the same patch PATCH /v1/providers/:id takes, with the same bounds; only what differs from now. */
export function parseProviderForm(body: Record<string, unknown>, current: ProviderView): Parsed {
  const issues: string[] = [];
  const patch: ProviderControlPatch = {};
  if (body.paused !== undefined) {
    const paused = body.paused === 'true';
    if (paused !== (current.state === 'paused')) patch.paused = paused;
  }
  const order = intField(body, 'order', 0, 1000, issues);
  if (order !== undefined && order !== null && order !== current.order) patch.order = order;
  const weight = intField(body, 'weight', 0, 1_000_000, issues);
  if (weight !== undefined && weight !== null && weight !== current.weight) patch.weight = weight;
  const rate = intField(body, 'ratePerSecond', 1, 100_000, issues, true);
  if (rate !== undefined && (rate ?? null) !== current.ratePerSecond) patch.ratePerSecond = rate ?? undefined;
  return { patch, issues };
}

function describe(p: ProviderView, patch: ProviderControlPatch): string[] {
  const out: string[] = [];
  if ('paused' in patch) out.push(patch.paused ? 'pause it: its messages go to the other providers of the channel' : 'resume it');
  if ('order' in patch) out.push(`order ${p.order} → ${patch.order}`);
  if ('weight' in patch) out.push(`weight ${p.weight} → ${patch.weight}`);
  if ('ratePerSecond' in patch) out.push(`rate limit ${p.ratePerSecond ?? 'unlimited'} → ${patch.ratePerSecond ?? 'unlimited'} per second`);
  return out;
}

function providerForm(v: Viewer, p: ProviderView): Html {
  const id = `p-${p.id}`;
  return html`<form method="post" action="${URL}/${encodeURIComponent(p.id)}" class="provider-form" aria-label="Change ${p.id}">${csrfField(v)}
  <div><label for="${id}-order">Order</label><input id="${id}-order" name="order" type="number" min="0" max="1000" value="${p.order}"></div>
  <div><label for="${id}-weight">Weight</label><input id="${id}-weight" name="weight" type="number" min="0" max="1000000" step="any" value="${p.weight}"></div>
  <div><label for="${id}-rate">Rate limit / s</label><input id="${id}-rate" name="ratePerSecond" type="number" min="1" max="100000" value="${p.ratePerSecond ?? ''}" placeholder="unlimited"></div>
  <div class="actions"><button type="submit">Change…</button></div>
</form>
<form method="post" action="${URL}/${encodeURIComponent(p.id)}" class="inline">${csrfField(v)}<input type="hidden" name="paused" value="${p.state === 'paused' ? 'false' : 'true'}">
<button type="submit" class="${p.state === 'paused' ? '' : 'danger'}">${p.state === 'paused' ? `Resume ${p.id}…` : `Pause ${p.id}…`}</button></form>`;
}

function lastErrors(lines: LogLine[], id: string): Html {
  const mine = lines.filter((l) => (l.meta as { provider?: unknown } | undefined)?.provider === id).slice(-3).reverse();
  if (!mine.length) return html`<span class="muted">none recently</span>`;
  return html`<ul class="plain">${mine.map((l) => html`<li>${when(l.time)} ${l.message}</li>`)}</ul>`;
}

async function providersPage(ctx: PageContext, _req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const [providers, warnings] = await Promise.all([
    ctx.deps.providers.list(),
    ctx.deps.store.logs.query({ level: 'warn', grep: 'provider', limit: 200, newest: true }),
  ]);
  const channels = [...new Set(providers.map((p) => p.channel))];
  const card = (p: ProviderView) => html`<article class="card provider" id="p-${p.id}" aria-labelledby="p-${p.id}-name">
<h3 id="p-${p.id}-name">${p.id} <span class="muted">${p.type}</span> ${badge(p.state)}</h3>
<dl class="facts compact">
  <dt>Sent / failed</dt><dd>${p.sent} / ${p.failed}</dd>
  <dt>Circuit</dt><dd>${p.circuitOpenUntil ? html`open until ${when(p.circuitOpenUntil)}` : p.state === 'open' ? 'open' : 'closed'}</dd>
  <dt>Last errors</dt><dd>${lastErrors(warnings, p.id)}</dd>
</dl>
${providerForm(viewer, p)}
</article>`;
  const body = html`<p>Every worker follows these settings within seconds. Lower order goes first; a weight above 0 shares traffic by weight; a paused provider gets no new messages.</p>
${channels.map(
  (c) => html`<section aria-labelledby="h-${c}"><h2 id="h-${c}">${c} providers, by order</h2><div class="cards wide">${providers.filter((p) => p.channel === c).map(card)}</div></section>`,
)}`;
  res.type('html').send(page({ title: 'Providers', viewer, current: URL, body }).value);
}

export function providerPages(r: Router, ctx: PageContext): void {
  r.get('/providers', ctx.allow('admin'), (req, res) => providersPage(ctx, req, res));
  r.post('/providers/:id', ctx.allow('admin'), async (req, res) => {
    const viewer = viewerOf(res);
    const id = String(req.params.id);
    const current = (await ctx.deps.providers.list()).find((p) => p.id === id);
    if (!current) throw new NotFoundError('provider', id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { patch, issues } = parseProviderForm(body, current);
    if (issues.length) {
      viewer.session.flash = { kind: 'error', text: `${id} not changed: ${issues.join('; ')}` };
      return res.redirect(303, URL);
    }
    const changes = describe(current, patch);
    if (changes.length === 0) {
      viewer.session.flash = { kind: 'ok', text: `${id}: nothing to change.` };
      return res.redirect(303, URL);
    }
    if (body.confirm !== 'yes') {
      const hidden = Object.entries(patch).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v === undefined ? '' : String(v)}">`);
      const page$ = html`<p>Change provider <strong>${id}</strong> (${current.channel}, ${current.type}) on every worker:</p>
<ul>${changes.map((c) => html`<li>${c}</li>`)}</ul>
<form method="post" action="${URL}/${encodeURIComponent(id)}" class="inline">${csrfField(viewer)}${hidden}<input type="hidden" name="confirm" value="yes">
<button type="submit">Confirm</button></form> <a href="${URL}">Cancel</a>`;
      res.type('html').send(page({ title: `Confirm: change ${id}`, viewer, current: URL, body: page$ }).value);
      return;
    }
    await ctx.deps.providers.update(id, patch);
    viewer.session.flash = { kind: 'ok', text: `${id}: ${changes.join('; ')}. Every worker follows within seconds.` };
    res.redirect(303, URL);
  });
}
