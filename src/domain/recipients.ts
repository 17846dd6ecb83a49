// Recipients who are not subscribed users: named in a request, or found in an event's data by a
// path. Addresses are normalised here (E.164, e-mail checked like users'), and each address has a
// stable key that stands in for a user id in message ids.
import { createHash } from 'node:crypto';
import { isEmail, toE164 } from './contact';
import type { FieldIssue } from './errors';
import type { Channel, NotificationRecipient } from './types';

/** At most this many explicit recipients per notification; more is a campaign's job. */
export const MAX_RECIPIENTS = 1000;

/** What a caller names: at least one address; `data` is merged over the event's data for them. */
export interface RecipientInput {
  phone?: string;
  email?: string;
  name?: string;
  data?: Record<string, unknown>;
}

/**
 * The user id of a recipient's message on one channel: `rcpt-` and the first 24 hex digits of the
 * sha256 of its normalised address (E.164 phone, lower-cased email). Two recipients with the same
 * address share it, so they get one message, and a repeated fan-out finds it already there.
 * The address itself stays out of message ids (they are logged; addresses are masked in logs).
 */
export function recipientKey(channel: Channel, address: string): string {
  const norm = channel === 'email' ? address.toLowerCase() : address;
  return `rcpt-${createHash('sha256').update(norm).digest('hex').slice(0, 24)}`;
}

/** The address a recipient has on a channel, if any. */
export function addressOf(r: Pick<NotificationRecipient, 'phone' | 'email'>, channel: Channel): string | undefined {
  return channel === 'sms' ? r.phone : r.email;
}

/** E.164 with `region` for national forms; undefined when it is no valid number. Numbers are read as digits. */
export function normalisePhone(value: unknown, region: string | undefined): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  return toE164(String(value), region);
}

/** Trimmed when it is an email address users could have; undefined otherwise. */
export function normaliseEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const s = value.trim();
  return isEmail(s) ? s : undefined;
}

/**
 * Normalises the request's recipients; issues name `recipients[i].phone` / `.email`. A recipient
 * needs at least one address (the schema says so too, for a 400 before this runs).
 */
export function normaliseRecipients(
  inputs: RecipientInput[],
  region: string | undefined,
): { recipients: NotificationRecipient[]; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const recipients: NotificationRecipient[] = [];
  if (inputs.length > MAX_RECIPIENTS) {
    issues.push({ field: 'recipients', reason: `at most ${MAX_RECIPIENTS} recipients per notification (use a campaign for more)` });
    return { recipients, issues };
  }
  inputs.forEach((r, i) => {
    const at = `recipients[${i}]`;
    if (r.phone === undefined && r.email === undefined) issues.push({ field: `${at}.phone`, reason: 'a recipient needs a phone or an email (or both)' });
    const phone = r.phone === undefined ? undefined : normalisePhone(r.phone, region);
    if (r.phone !== undefined && !phone) {
      const how = region ? `in international form or national form of region ${region}` : 'in international form (+ and country code)';
      issues.push({ field: `${at}.phone`, reason: `must be a valid phone number ${how}` });
    }
    const email = r.email === undefined ? undefined : normaliseEmail(r.email);
    if (r.email !== undefined && !email) issues.push({ field: `${at}.email`, reason: 'must be an email address, e.g. amina@example.org' });
    recipients.push({
      ...(phone ? { phone } : {}),
      ...(email ? { email } : {}),
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(r.data !== undefined ? { data: r.data } : {}),
      via: 'request',
    });
  });
  return { recipients: issues.length ? [] : recipients, issues };
}

const UNSAFE_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);
const MAX_PATH = 300;

/** Null when `path` is a dotted path into the event's data (`data.customer.phone`); the reason otherwise. */
export function pathProblem(path: string): string | null {
  if (path.length > MAX_PATH) return `must be at most ${MAX_PATH} characters`;
  const segments = path.split('.');
  if (segments[0] !== 'data' || segments.length < 2) return "must be a dotted path into the event's data, starting with 'data.' (e.g. data.customer.phone)";
  if (segments.some((s) => s === '' || /\s/.test(s))) return 'must not have empty segments or spaces (e.g. data.customer.phone)';
  if (segments.some((s) => UNSAFE_SEGMENTS.has(s))) return `must not name ${[...UNSAFE_SEGMENTS].join(', ')}`;
  return null;
}

/** The value at a dotted path of `{ data }`; undefined when any step is missing (own properties only). */
export function valueAt(data: Record<string, unknown>, path: string): unknown {
  let cur: unknown = { data };
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
