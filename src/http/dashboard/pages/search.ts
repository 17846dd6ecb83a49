// Find a message by the recipient's phone number or e-mail address, or by a message or notification id.
import type { Request, Response, Router } from 'express';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Message } from '../../../domain/types';
import type { PageContext } from '../deps';
import { badge, html, when } from '../html';
import { BASE, page, tableWrap } from '../layout';
import { viewerOf } from '../session';
import { originLink } from './notifications';

const LIMIT = 50;

/** The addresses a query may stand for: as typed, a phone number in E.164, an e-mail in lower case. */
export function addressesOf(q: string): string[] {
  const out = new Set([q]);
  if (q.includes('@')) out.add(q.toLowerCase());
  else if (/^[+\d][\d\s().-]{5,}$/.test(q)) {
    const compact = q.replace(/[\s().-]/g, '');
    out.add(compact);
    const e164 = parsePhoneNumberFromString(compact.startsWith('+') ? compact : `+${compact}`)?.number;
    if (e164) out.add(e164);
  }
  return [...out];
}

async function searchPage(ctx: PageContext, req: Request, res: Response): Promise<void> {
  const viewer = viewerOf(res);
  const ws = viewer.principal.workspaceId;
  const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 400) : '';
  const { store } = ctx.deps;
  if (q) {
    // An id goes straight to its page.
    const [m, n] = await Promise.all([store.messages.get(q), store.notifications.get(q)]);
    if (m && m.workspaceId === ws) return res.redirect(303, `${BASE}/messages/${encodeURIComponent(m.id)}`);
    if (n && n.workspaceId === ws) return res.redirect(303, `${BASE}/notifications/${encodeURIComponent(n.id)}`);
    const c = ctx.deps.campaigns ? await store.campaigns.get(q) : null;
    if (c && c.workspaceId === ws) return res.redirect(303, `${BASE}/campaigns/${encodeURIComponent(c.id)}`);
  }
  const ids = q ? [...new Set((await Promise.all(addressesOf(q).map((a) => store.search.messageIdsTo(ws, a, LIMIT)))).flat())] : [];
  const found = ids.length ? await store.messages.getMany(ids) : [];
  const messages = found.filter((m) => m.workspaceId === ws).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, LIMIT);
  const row = (m: Message) =>
    html`<tr><td><a href="${BASE}/messages/${encodeURIComponent(m.id)}">${when(m.createdAt)}</a></td><td>${m.to}</td><td>${m.channel}</td><td>${badge(m.status)}</td><td>${m.provider ?? '—'}</td>
<td>${originLink(m)}</td></tr>`;
  const body = html`<form method="get" action="${BASE}/search" class="filters" role="search" aria-label="Find a message">
  <div class="grow"><label for="s-q">Phone number, e-mail address, or a message, notification or campaign id</label><input id="s-q" name="q" type="search" value="${q}"></div>
  <div class="actions"><button type="submit">Find</button></div></form>
${q
  ? tableWrap(
      'Messages found',
      html`<table><caption>Messages to ${q}, newest first${messages.length === LIMIT ? ` (the newest ${LIMIT})` : ''}</caption>
<thead><tr><th scope="col">Created</th><th scope="col">To</th><th scope="col">Channel</th><th scope="col">Status</th><th scope="col">Provider</th><th scope="col">From</th></tr></thead>
<tbody>${messages.length ? messages.map(row) : html`<tr><td colspan="6" class="muted">No message to this address or with this id.</td></tr>`}</tbody></table>`,
    )
  : html`<p class="muted">Type a phone number (any format), an e-mail address or an id.</p>`}`;
  res.type('html').send(page({ title: 'Find a message', viewer, current: `${BASE}/search`, body }).value);
}

export function searchPages(r: Router, ctx: PageContext): void {
  r.get('/search', (req, res) => searchPage(ctx, req, res));
}
