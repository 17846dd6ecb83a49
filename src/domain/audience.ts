// Who a notification reaches besides its subscribers, decided once when it is accepted: the
// request's recipients, the event type's recipient paths, and what its rules add or skip.
import type { FieldIssue } from './errors';
import { normaliseEmail, normalisePhone, normaliseRecipients, valueAt, type RecipientInput } from './recipients';
import { evaluateRules } from './rules';
import type { EventType, NotificationRecipient, RecipientPath, RuleOutcome } from './types';

export interface AudiencePlan {
  recipients: NotificationRecipient[];
  /** Present when the event type has rules. */
  rules?: RuleOutcome;
  warnings: string[];
  /** Problems with the request's own recipients: the request is refused (422). */
  issues: FieldIssue[];
}

/** The recipient a path finds in the data, or a warning saying why there is none. */
export function resolvePath(
  rp: RecipientPath,
  data: Record<string, unknown>,
  region: string | undefined,
  via: string,
): { recipient?: NotificationRecipient; warnings: string[] } {
  const warnings: string[] = [];
  const who = via === 'path' ? 'recipient path' : `${via.replace(':', " '")}' recipient`;
  const read = (path: string | undefined, normalise: (v: unknown) => string | undefined, what: string): string | undefined => {
    if (path === undefined) return undefined;
    const value = valueAt(data, path);
    if (value === undefined || value === null || value === '') {
      warnings.push(`${who} ${path}: the event has no value there`);
      return undefined;
    }
    const norm = normalise(value);
    if (!norm) warnings.push(`${who} ${path}: not a valid ${what}; nothing sent to it`);
    return norm;
  };
  const phone = read(rp.phone, (v) => normalisePhone(v, region), 'phone number');
  const email = read(rp.email, normaliseEmail, 'email address');
  if (!phone && !email) return { warnings };
  const name = rp.name === undefined ? undefined : valueAt(data, rp.name);
  const recipient: NotificationRecipient = {
    ...(phone ? { phone } : {}),
    ...(email ? { email } : {}),
    ...(typeof name === 'string' || typeof name === 'number' ? { name: String(name) } : {}),
    ...(rp.template !== undefined ? { template: rp.template } : {}),
    via,
  };
  return { recipient, warnings };
}

/** `region`: phone numbers in national form are read in it (config phone.defaultRegion). */
export function planAudience(input: {
  eventType: Pick<EventType, 'recipientPaths' | 'rules'>;
  data: Record<string, unknown>;
  requested?: RecipientInput[];
  region?: string;
}): AudiencePlan {
  const { eventType, data, region } = input;
  const explicit = normaliseRecipients(input.requested ?? [], region);
  if (explicit.issues.length) return { recipients: [], warnings: [], issues: explicit.issues };
  const recipients = [...explicit.recipients];
  const warnings: string[] = [];
  const add = (rp: RecipientPath, via: string) => {
    const r = resolvePath(rp, data, region, via);
    warnings.push(...r.warnings);
    if (r.recipient) recipients.push(r.recipient);
  };
  for (const rp of eventType.recipientPaths ?? []) add(rp, 'path');
  if (!eventType.rules?.length) return { recipients, warnings, issues: [] };
  const ev = evaluateRules(eventType.rules, data);
  warnings.push(...ev.warnings);
  for (const { rule, path } of ev.recipients) add(path, `rule:${rule}`);
  const skip = ev.skippedBy.length > 0;
  const rules: RuleOutcome = { matched: ev.matched, ...(skip ? { skip: true } : {}), ...(ev.template !== undefined ? { template: ev.template } : {}) };
  if (skip) warnings.push(`skipped by rule ${ev.skippedBy.map((id) => `'${id}'`).join(', ')}: nothing is sent`);
  return { recipients, rules, warnings, issues: [] };
}
