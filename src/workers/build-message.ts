// One message for one recipient and channel: the event type's template rendered with the event's
// data. A recipient without an address on the channel, or an SMS that renders blank, is rejected.
import type { HeraldConfig } from '../config';
import { addressOf, recipientKey } from '../domain/recipients';
import { renderMessage } from '../domain/templates';
import { isBlankText, smsInfo } from '../domain/sms';
import type { Channel, EventType, Notification, NotificationRecipient, Program, Subscriber, Templates } from '../domain/types';
import type { NewMessage } from '../store/store';

export function messageId(notificationId: string, userId: string, channel: Channel): string {
  return `${notificationId}:${userId}:${channel}`;
}

/** Why a message is rejected before any provider sees it: no address, or an SMS text that renders blank. */
function refusalOf(to: string, channel: Channel, text: string, userId: string): { code: string; reason: string; message: string } | undefined {
  if (to === '') {
    const message = `user '${userId}' has no ${channel === 'sms' ? 'phone number' : 'email address'}`;
    return { code: 'NO_ADDRESS', reason: message, message };
  }
  if (channel === 'sms' && isBlankText(text)) {
    return { code: 'EMPTY_TEXT', reason: 'empty_text', message: 'the SMS text rendered empty or only whitespace; nothing was sent' };
  }
  return undefined;
}

/**
 * The templates a message renders: a named template set of the event type over its `templates`
 * (a channel the set lacks falls back); the plain `templates` when the name is absent or unknown.
 */
export function templatesFor(eventType: EventType, set: string | undefined): Templates {
  const named = set === undefined ? undefined : eventType.templateSets?.[set];
  return named ? { ...eventType.templates, ...named } : eventType.templates;
}

export interface BuildOptions {
  /** The data the templates see (default: the notification's). */
  data?: Record<string, unknown>;
  /** The templates rendered (default: the event type's). */
  templates?: Templates;
}

/** Builds the message for one user and channel; a user without an address, or an SMS without text, gets a rejected message. */
export function buildMessage(
  n: Notification,
  program: Program,
  eventType: EventType,
  sub: Subscriber,
  channel: Channel,
  cfg: Pick<HeraldConfig, 'sms'>,
  at: Date,
  opts: BuildOptions = {},
): NewMessage {
  const { user } = sub;
  const to = (channel === 'sms' ? user.phone : user.email) ?? '';
  const content = renderMessage(opts.templates ?? eventType.templates, channel, {
    user,
    program: { id: program.id, name: program.name },
    eventType: { id: eventType.id, name: eventType.name },
    data: opts.data ?? n.data,
    window: { start: n.startTime, end: n.endTime, validUntil: n.validUntil },
  });
  const refusal = refusalOf(to, channel, content.text, user.id);
  const status = refusal ? 'rejected' : 'accepted';
  return {
    id: messageId(n.id, user.id, channel),
    workspaceId: n.workspaceId,
    notificationId: n.id,
    programId: n.programId,
    eventTypeId: n.eventTypeId,
    userId: user.id,
    channel,
    to,
    content,
    sms: channel === 'sms' ? smsInfo(content.text, cfg.sms) : undefined,
    status,
    statusHistory: [{ status, at, reason: refusal?.reason }],
    validUntil: n.validUntil,
    attempts: 0,
    error: refusal ? { code: refusal.code, message: refusal.message } : undefined,
  };
}

/**
 * The messages of the notification's recipients (not users): one per address and channel, keyed by
 * recipientKey, the first recipient naming an address wins. Templates: the recipient's own set, else
 * the one the rules chose for the event's audience, else the event type's.
 */
export function recipientMessages(
  n: Notification,
  program: Program,
  eventType: EventType,
  cfg: Pick<HeraldConfig, 'sms'>,
  at: Date,
): NewMessage[] {
  const byId = new Map<string, NewMessage>();
  for (const r of n.recipients ?? []) {
    for (const channel of ['sms', 'email'] as const) {
      const to = addressOf(r, channel);
      if (!to) continue;
      const id = messageId(n.id, recipientKey(channel, to), channel);
      if (byId.has(id)) continue;
      byId.set(id, buildMessage(n, program, eventType, { user: asUser(n, r, channel, to), channels: [channel] }, channel, cfg, at, {
        data: r.data ? { ...n.data, ...r.data } : n.data,
        templates: templatesFor(eventType, r.template ?? n.rules?.template),
      }));
    }
  }
  return [...byId.values()];
}

/** A recipient as the templates see a user: `user.name`, `user.phone`, `user.email`. */
function asUser(n: Notification, r: NotificationRecipient, channel: Channel, to: string): Subscriber['user'] {
  return {
    workspaceId: n.workspaceId,
    id: recipientKey(channel, to),
    name: r.name ?? '',
    ...(r.phone ? { phone: r.phone } : {}),
    ...(r.email ? { email: r.email } : {}),
    createdAt: n.createdAt,
    updatedAt: n.createdAt,
  };
}
