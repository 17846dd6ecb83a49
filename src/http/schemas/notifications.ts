import { MESSAGE_STATUSES, NOTIFICATION_STATUSES } from '../../domain/types';
import { parseIsoTime } from '../../domain/time';
import { MAX_RECIPIENTS } from '../../domain/recipients';
import { channelSchema, dateTimeOut, idInput, idSchema, idText, pageOf, pageQuery } from './common';
import { withLeanParse } from './lean-parse';
import { emailSchema } from './users';
import { z } from './zod';

/** ISO 8601 date-time; without an offset it is read as UTC (as on every other door). */
export const isoTime = z
  .string()
  .transform((s, ctx) => {
    const d = parseIsoTime(s);
    if (!d) ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time, e.g. 2030-01-31T09:00:00Z' });
    return d ?? z.NEVER;
  })
  .openapi({ format: 'date-time', example: '2030-01-31T09:00:00Z' });

const dataSchema = z.record(z.unknown()).openapi({ description: 'the event data the templates render', example: { name: 'Amina', time: '09:00' } });

export const recipientSchema = z
  .object({
    phone: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'international (+254 712 345678) or, with phone.defaultRegion set, national form; stored in E.164', example: '+254712345678' }),
    email: emailSchema.optional(),
    name: z.string().max(200).optional().openapi({ description: 'what {{user.name}} renders for this recipient' }),
    data: z.record(z.unknown()).optional().openapi({ description: "merged over the event's data for this recipient's messages", example: { seat: '14B' } }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.phone === undefined && r.email === undefined) ctx.addIssue({ code: 'custom', path: ['phone'], message: 'a recipient needs a phone or an email (or both)' });
  })
  .openapi('Recipient', {
    description: 'someone to reach besides the subscribers: an SMS to the phone, an email to the address',
    anyOf: [{ required: ['phone'] }, { required: ['email'] }],
  });

const notificationCreateFull = z
  .object({
    programId: idSchema,
    eventTypeId: idSchema,
    startTime: isoTime,
    endTime: isoTime.optional(),
    data: dataSchema.optional(),
    recipients: z
      .array(recipientSchema)
      .max(MAX_RECIPIENTS, `must have at most ${MAX_RECIPIENTS} recipients (use a campaign for more)`)
      .optional()
      .openapi({ description: `recipients besides the program's subscribers (at most ${MAX_RECIPIENTS}); each gets one message per address` }),
    subscribers: z
      .boolean()
      .optional()
      .openapi({ description: "false: only the recipients are reached, not the program's subscribers (default true)" }),
  })
  .strict()
  .openapi('NotificationCreate', {
    example: { programId: 1, eventTypeId: '1', startTime: '2030-01-31T09:00:00Z', endTime: '2030-01-31T10:00:00Z', data: { name: 'Amina' } },
  });

// The hot path's twin (lean-parse.ts): ids and times unconverted, then converted as the transforms would.
const notificationCreateTwin = notificationCreateFull.extend({ programId: idInput, eventTypeId: idInput, startTime: z.string(), endTime: z.string().optional() });

export const notificationCreateSchema = withLeanParse(notificationCreateFull, notificationCreateTwin, (d) => {
  const startTime = parseIsoTime(d.startTime);
  const endTime = d.endTime === undefined ? undefined : parseIsoTime(d.endTime);
  if (!startTime || endTime === null) return undefined;
  const out = d as unknown as z.output<typeof notificationCreateFull>;
  out.programId = String(d.programId);
  out.eventTypeId = String(d.eventTypeId);
  out.startTime = startTime;
  if (endTime) out.endTime = endTime;
  return out;
});

const recipientOutSchema = z
  .object({
    phone: z.string().optional(),
    email: z.string().optional(),
    name: z.string().optional(),
    data: z.record(z.unknown()).optional(),
    template: z.string().optional(),
    via: z.string().openapi({ description: "request, path (the event type's recipientPaths) or rule:<rule id>", example: 'rule:overspend' }),
  })
  .openapi('NotificationRecipient');

const ruleOutcomeSchema = z
  .object({
    matched: z.array(z.string()).openapi({ description: 'ids of the rules whose condition held, in order', example: ['overspend'] }),
    skip: z.boolean().optional().openapi({ description: 'a matched rule said skip: nothing is sent' }),
    template: z.string().optional().openapi({ description: "the template set the event's own audience gets" }),
  })
  .openapi('RuleOutcome', { description: "what the event type's rules decided when the notification was accepted" });

export const notificationPatchSchema = z.object({ endTime: isoTime }).strict().openapi('NotificationClose');

export const acceptedSchema = z
  .object({
    id: z.string(),
    status: z.enum(NOTIFICATION_STATUSES),
    startTime: dateTimeOut,
    endTime: dateTimeOut.optional(),
    validUntil: dateTimeOut,
    warnings: z.array(z.string()).optional(),
  })
  .openapi('NotificationAccepted');

export const notificationSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string().openapi({ description: 'the workspace it belongs to' }),
    programId: z.string(),
    eventTypeId: z.string(),
    startTime: dateTimeOut,
    endTime: dateTimeOut.optional(),
    requestedWindow: z
      .object({ startTime: dateTimeOut, endTime: dateTimeOut.optional() })
      .optional()
      .openapi({ description: 'the window the caller asked for, when Herald re-anchored it (a legacy window already closed on arrival); startTime/endTime are the effective window' }),
    validUntil: dateTimeOut,
    data: z.record(z.unknown()),
    status: z.enum(NOTIFICATION_STATUSES),
    source: z.enum(['api', 'legacy', 'amqp', 'cli']),
    idempotencyKey: z.string().optional(),
    warnings: z.array(z.string()).optional(),
    recipients: z.array(recipientOutSchema).optional().openapi({ description: 'recipients besides the subscribers, normalised (explicit, from recipient paths, from rules)' }),
    rules: ruleOutcomeSchema.optional(),
    subscribers: z.boolean().optional().openapi({ description: "false: the program's subscribers are not reached, only the recipients" }),
    dispatch: z.object({ cursor: z.string().optional(), messages: z.number().int(), startedAt: dateTimeOut.optional(), finishedAt: dateTimeOut.optional() }),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('Notification');

export const notificationSummarySchema = notificationSchema
  .extend({ counts: z.record(z.enum(MESSAGE_STATUSES), z.number().int()), total: z.number().int() })
  .openapi('NotificationSummary');

export const notificationPageSchema = pageOf(notificationSchema, 'NotificationPage');

export const messageSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string().openapi({ description: 'the workspace it belongs to' }),
    notificationId: z.string(),
    campaignId: z.string().optional().openapi({ description: "a campaign's message: the campaign (notificationId is the campaign id too; userId the contact)" }),
    programId: z.string(),
    eventTypeId: z.string(),
    userId: z.string(),
    channel: channelSchema,
    to: z.string(),
    content: z.object({ text: z.string(), subject: z.string().optional(), html: z.string().optional() }),
    sms: z.object({ encoding: z.enum(['GSM-7', 'UCS-2']), segments: z.number().int(), parts: z.array(z.string()) }).optional(),
    status: z.enum(MESSAGE_STATUSES),
    statusHistory: z.array(
      z.object({ status: z.enum(MESSAGE_STATUSES), at: dateTimeOut, reason: z.string().optional(), provider: z.string().optional(), providerStatus: z.string().optional() }),
    ),
    validUntil: dateTimeOut,
    attempts: z.number().int(),
    provider: z.string().optional(),
    providerMessageIds: z.array(z.string()).optional(),
    providerStatus: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string(), providerCode: z.string().optional() }).optional(),
    possibleDuplicate: z.boolean().optional(),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
    sentAt: dateTimeOut.optional(),
    deliveredAt: dateTimeOut.optional(),
  })
  .openapi('Message');

export const messagePageSchema = pageOf(messageSchema, 'MessagePage');

export const notificationParams = z.object({ id: idText });

export const notificationListQuery = z
  .object({ programId: idText.optional(), status: z.enum(NOTIFICATION_STATUSES).optional(), ...pageQuery(50, 500) })
  .strict();

export const messageListQuery = z
  .object({ status: z.enum(MESSAGE_STATUSES).optional(), channel: channelSchema.optional(), ...pageQuery(50, 500) })
  .strict();

export const idempotencyHeader = z.object({
  'idempotency-key': z.string().max(200).optional().openapi({ description: 'a key the caller chooses to make retries safe' }),
});
