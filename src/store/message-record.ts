// A message record built as a fast (hidden-class) object. An object literal filled by keyed stores
// (`out[k] = v`, a for-in copy) turns into a slow dictionary once it passes ~16-19 properties: V8
// stops adding fields to a map grown by computed names. A message has 15 to 27 fields, so every
// record copied that way (the Mongo store's read, each transition's image) was a dictionary: a copy
// ~1.7 KB instead of ~0.2 KB, and every field read of every listener a hash lookup. Named stores in
// one fixed order keep a message a fast object (V8's limit for those is 128 properties).
import type { Message } from '../domain/types';

/**
 * A plain object (Object.prototype, as `{}` makes) with room for a message's fields inside it: V8 sizes
 * a constructor's objects by the fields its first ones got, where `{}` has room for 4 and grows a
 * separate property array (reallocated every 3 fields) for the rest.
 */
function Shell(): void {}
Shell.prototype = Object.prototype;

/** What `field` answers for a field the record does not have. */
export const ABSENT: unique symbol = Symbol('absent');

/** Every field of a Message, in the order records list them (`id` first). */
export const MESSAGE_FIELDS: ReadonlySet<string> = new Set<keyof Message>([
  'id', 'workspaceId', 'notificationId', 'campaignId', 'programId', 'eventTypeId', 'userId', 'channel', 'to', 'content', 'sms', 'status',
  'statusHistory', 'validUntil', 'attempts', 'provider', 'providerMessageIds', 'providerStatus', 'partStatuses', 'error', 'possibleDuplicate',
  'leaseUntil', 'createdAt', 'updatedAt', 'sentAt', 'deliveredAt', 'cost',
]);

/**
 * The record whose Message fields are what `field` answers (ABSENT: left out), by named stores, then
 * `extra` (fields a Message does not declare, e.g. a newer store's) by keyed stores after them.
 */
export function messageRecord(field: (k: keyof Message) => unknown, extra?: (out: Record<string, unknown>) => void): Message {
  const o = new (Shell as unknown as new () => Partial<Record<keyof Message, unknown>>)();
  let v: unknown;
  if ((v = field('id')) !== ABSENT) o.id = v;
  if ((v = field('workspaceId')) !== ABSENT) o.workspaceId = v;
  if ((v = field('notificationId')) !== ABSENT) o.notificationId = v;
  if ((v = field('campaignId')) !== ABSENT) o.campaignId = v;
  if ((v = field('programId')) !== ABSENT) o.programId = v;
  if ((v = field('eventTypeId')) !== ABSENT) o.eventTypeId = v;
  if ((v = field('userId')) !== ABSENT) o.userId = v;
  if ((v = field('channel')) !== ABSENT) o.channel = v;
  if ((v = field('to')) !== ABSENT) o.to = v;
  if ((v = field('content')) !== ABSENT) o.content = v;
  if ((v = field('sms')) !== ABSENT) o.sms = v;
  if ((v = field('status')) !== ABSENT) o.status = v;
  if ((v = field('statusHistory')) !== ABSENT) o.statusHistory = v;
  if ((v = field('validUntil')) !== ABSENT) o.validUntil = v;
  if ((v = field('attempts')) !== ABSENT) o.attempts = v;
  if ((v = field('provider')) !== ABSENT) o.provider = v;
  if ((v = field('providerMessageIds')) !== ABSENT) o.providerMessageIds = v;
  if ((v = field('providerStatus')) !== ABSENT) o.providerStatus = v;
  if ((v = field('partStatuses')) !== ABSENT) o.partStatuses = v;
  if ((v = field('error')) !== ABSENT) o.error = v;
  if ((v = field('possibleDuplicate')) !== ABSENT) o.possibleDuplicate = v;
  if ((v = field('leaseUntil')) !== ABSENT) o.leaseUntil = v;
  if ((v = field('createdAt')) !== ABSENT) o.createdAt = v;
  if ((v = field('updatedAt')) !== ABSENT) o.updatedAt = v;
  if ((v = field('sentAt')) !== ABSENT) o.sentAt = v;
  if ((v = field('deliveredAt')) !== ABSENT) o.deliveredAt = v;
  if ((v = field('cost')) !== ABSENT) o.cost = v;
  extra?.(o as Record<string, unknown>);
  return o as unknown as Message;
}
