// Phone and email address checks for users and bulk recipients.

const E164 = /^\+[1-9]\d{6,14}$/;
/** Characters people type inside phone numbers that carry no digits. */
const PHONE_PUNCTUATION = /[\s\-().]/g;

/** `+` then 7 to 15 digits, the first not 0. */
export function isE164(phone: string): boolean {
  return E164.test(phone);
}

/**
 * Removes spaces, dashes, dots and parentheses, keeping a leading `+`. Never adds a country
 * code: `0712 345 678` stays national (`0712345678`) and fails isE164.
 */
export function normalizePhone(phone: string): string {
  return phone.trim().replace(PHONE_PUNCTUATION, '');
}

const LOCAL_PART = /^[^\s@]+$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/**
 * A pragmatic address check: one `@`, a non-empty local part without spaces, and a domain that
 * is `localhost` or at least two dot-separated labels of letters, digits and inner hyphens.
 */
export function isEmail(addr: string): boolean {
  if (addr.length > 254) return false;
  const at = addr.indexOf('@');
  if (at <= 0 || at !== addr.lastIndexOf('@')) return false;
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  if (domain.toLowerCase() === 'localhost') return true;
  const labels = domain.split('.');
  return labels.length >= 2 && labels.every((l) => l.length <= 63 && DOMAIN_LABEL.test(l));
}
