// HTML from tagged templates: every interpolated value is escaped unless it is already Html.
// Small on purpose: the dashboard's pages are plain functions of their data.

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function esc(v: unknown): string {
  return String(v).replace(/[&<>"'`]/g, (c) => ESCAPES[c]);
}

/** Markup already built (by `html`) or trusted constant text. */
export const raw = (s: string): Html => new Html(s);

function part(v: unknown): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === null || v === undefined || v === false) return '';
  return esc(v);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Data for the page's script, in a non-executed JSON block (allowed by the CSP): `<` can never close the element. */
export function jsonData(id: string, value: unknown): Html {
  const text = JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return raw(`<script type="application/json" id="${esc(id)}">${text}</script>`);
}

/** A date as ISO-like UTC text the operator can read and copy: 2030-01-01 10:00:00Z. */
export function when(d: Date | string | undefined | null): Html | string {
  if (!d) return '—';
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return '—';
  const text = date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  return html`<time datetime="${date.toISOString()}">${text}</time>`;
}

/** A URL with the given query parameters (empty ones left out). */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const fmtNumber = (n: number): string => new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(n);

export const percent = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '—');

/** A status as a badge whose colour class follows the outcome (text says it too). */
export function badge(status: string): Html {
  const tone = /^(delivered|sent|active|dispatched|closed|completed|done)$/.test(status)
    ? 'ok'
    : /^(failed|undelivered|rejected|open|expired|error)$/.test(status)
      ? 'bad'
      : /^(paused|cancelled|half-open|warn)$/.test(status)
        ? 'warn'
        : 'info';
  return html`<span class="badge ${tone}">${status}</span>`;
}
