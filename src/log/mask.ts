// Personal data out of log lines: phone numbers and e-mail addresses are masked wherever they
// appear (messages, provider error text, validation issues), keeping enough to tell them apart.
// The full values stay in the message records only.

/** `+` (or `%2B`, URL-encoded) and 7 to 15 digits, single spaces, dashes, dots or brackets between them. */
const PLUS_NUMBER = /(?<![\w+])(\+|%2B)(\d(?:[ \-.()]{0,2}\d){6,14})(?!\w)/gi;
/** 8 to 15 digits alone (vendors that write numbers without `+`, national numbers); not inside ids. */
const BARE_NUMBER = /(?<![\w+\-*]|\d\.)(\d{8,15})(?![\w\-*]|\.\d)/g;
/**
 * What every match above needs: an `@`, a `+` (or `%2B`), or 8 digits in a row. A scan of the char
 * codes, not a regular expression: every field of every log line goes through it (the expression
 * `/[@+]|%2B|\d{8}/i` tried its three branches at each position, ~5x slower on a message id).
 */
export function maybePersonal(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= 8) return true;
      continue;
    }
    digits = 0;
    if (c === 64 || c === 43) return true; // @ +
    // %2B or %2b
    if (c === 37 && text.charCodeAt(i + 1) === 50 && (text.charCodeAt(i + 2) | 32) === 98) return true;
  }
  return false;
}
const EMAIL = /([A-Za-z0-9._%+'-])[A-Za-z0-9._%+'-]*@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})/g;

/** Keeps the first 4 and last 2 digits: `+358401234567` -> `+3584******67`. */
function maskDigits(digits: string): string {
  const d = digits.replace(/\D/g, '');
  const keepHead = Math.min(4, Math.max(0, d.length - 4));
  return d.slice(0, keepHead) + '*'.repeat(d.length - keepHead - 2) + d.slice(-2);
}

/** The text with every phone number and e-mail address in it masked. */
export function maskText(text: string): string {
  // Nothing to mask without one (most field values: levels, names, ids with short runs of digits).
  if (!maybePersonal(text)) return text;
  return text
    .replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`)
    .replace(PLUS_NUMBER, (_m, plus: string, digits: string) => `${plus}${maskDigits(digits)}`)
    .replace(BARE_NUMBER, (_m, digits: string) => maskDigits(digits));
}

/** Strings masked anywhere inside plain objects and arrays; other values as they are. */
export function maskValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return maskArray(value, depth);
  if (value instanceof Date) return value;
  if (value instanceof Error) return maskText(value.message);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, depth + 1);
  return out;
}

/** The array itself when nothing in it changes (a list of provider ids on every line sent): no copy a line. */
function maskArray(value: unknown[], depth: number): unknown[] {
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    const masked = maskValue(v, depth + 1);
    if (masked === v) continue;
    const out = value.slice(0, i);
    out.push(masked);
    for (let j = i + 1; j < value.length; j++) out.push(maskValue(value[j], depth + 1));
    return out;
  }
  return value;
}
