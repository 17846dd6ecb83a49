// The page shell: skip link, navigation, the search box, who is signed in, the flash message.
import type { Access } from '../access';
import { html, raw, type Html } from './html';
import { may, type Viewer } from './session';

export const BASE = '/dashboard';
export const ASSETS = `${BASE}/assets`;

interface NavItem {
  href: string;
  label: string;
  access: Access;
  /** Shown only when this part runs. */
  needs?: 'campaigns';
}

const NAV: NavItem[] = [
  { href: '/', label: 'Overview', access: 'viewer' },
  { href: `${BASE}/notifications`, label: 'Notifications', access: 'viewer' },
  { href: `${BASE}/campaigns`, label: 'Campaigns', access: 'viewer', needs: 'campaigns' },
  { href: `${BASE}/providers`, label: 'Providers', access: 'admin' },
  { href: `${BASE}/usage`, label: 'Usage', access: 'viewer' },
  { href: `${BASE}/logs`, label: 'Log', access: 'viewer' },
];

/** The hidden field every form that changes something carries. */
export const csrfField = (v: Viewer): Html => html`<input type="hidden" name="_csrf" value="${v.session.csrf}">`;

function head(title: string): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Herald</title>
<link rel="stylesheet" href="${ASSETS}/uplot/uPlot.min.css">
<link rel="stylesheet" href="${ASSETS}/dashboard.css">
<script src="${ASSETS}/uplot/uPlot.iife.min.js" defer></script>
<script src="${ASSETS}/dashboard.js" defer></script>
</head>`;
}

export function page(input: { title: string; viewer: Viewer; current: string; body: Html | Html[]; heading?: Html | string }): Html {
  const { title, viewer, current, body } = input;
  const flash = viewer.session.flash;
  delete viewer.session.flash;
  const { principal } = viewer;
  const nav = NAV.filter((n) => may(principal, n.access) && (!n.needs || viewer.parts?.includes(n.needs)));
  return html`${head(title)}
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Herald</a>
  <nav aria-label="Dashboard">
    <ul>${nav.map((n) => html`<li><a href="${n.href}"${n.href === current ? raw(' aria-current="page"') : ''}>${n.label}</a></li>`)}</ul>
  </nav>
  <form class="find" role="search" action="${BASE}/search" method="get">
    <label for="find-q" class="sr-only">Find a message by phone, e-mail or id</label>
    <input id="find-q" name="q" type="search" placeholder="Phone, e-mail or id" autocomplete="off">
    <button type="submit">Find</button>
  </form>
  <div class="who">
    <span>${principal.workspaceId} · <strong data-role="${principal.role}">${principal.role}</strong>${viewer.signedIn ? '' : ' (this machine)'}</span>
    ${viewer.signedIn ? html`<form method="post" action="${BASE}/sign-out">${csrfField(viewer)}<button type="submit" class="link">Sign out</button></form>` : ''}
  </div>
</header>
<main id="main" tabindex="-1">
<h1>${input.heading ?? title}</h1>
${flash ? html`<p class="flash ${flash.kind}" role="${flash.kind === 'error' ? 'alert' : 'status'}">${flash.text}</p>` : ''}
${body}
</main>
</body>
</html>`;
}

/** A page outside the signed-in shell: sign-in, protected mode, errors before a viewer is known. */
export function barePage(title: string, body: Html): Html {
  return html`${head(title)}
<body class="bare">
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** A table in a region that scrolls sideways on a phone (focusable, so the keyboard can scroll it). */
export function tableWrap(label: string, table: Html): Html {
  return html`<div class="table-wrap" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

/** Previous / next links for a page of `total` items. */
export function pager(input: { total: number; limit: number; offset: number; href: (offset: number) => string; label: string }): Html {
  const { total, limit, offset, href } = input;
  if (total <= limit && offset === 0) return html`<p class="muted">${total} ${input.label}</p>`;
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return html`<nav class="pager" aria-label="${input.label} pages">
    ${offset > 0 ? html`<a href="${href(Math.max(0, offset - limit))}" rel="prev">← Newer</a>` : ''}
    <span>${from}–${to} of ${total} ${input.label}</span>
    ${to < total ? html`<a href="${href(offset + limit)}" rel="next">Older →</a>` : ''}
  </nav>`;
}
