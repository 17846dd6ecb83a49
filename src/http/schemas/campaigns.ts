// Campaigns and imports on the wire.
import { CAMPAIGN_STATUSES, IMPORT_STATUSES } from '../../domain/campaigns';
import { MESSAGE_STATUSES } from '../../domain/types';
import { dateTimeOut, idSchema, idText, nameSchema, pageOf, pageQuery, UNPROCESSABLE } from './common';
import { isoTime } from './notifications';
import { z } from './zod';

const recipientSchema = z
  .object({
    phone: z.string().min(1).max(40).openapi({ example: '+254712345678', description: 'E.164, or national form in the default region' }),
    name: z.string().max(200).optional(),
    data: z.record(z.unknown()).optional().openapi({ description: "this recipient's values for the message's {{placeholders}}" }),
  })
  .strict();

export const campaignCreateSchema = z
  .object({
    name: nameSchema.openapi({ example: 'Term 1 fees reminder', description: 'unique in the workspace' }),
    channel: z.literal('sms').default('sms'),
    message: z.string().min(1).max(10_000).optional().openapi({ example: 'Hello {{name}}, fees are due on Friday.' }),
    template: z.string().min(1).max(10_000).optional().openapi({ description: 'same as message (a handlebars text over each recipient\'s name, phone and data)' }),
    recipients: z.array(recipientSchema).min(1).max(1000).optional().openapi({ description: 'the numbers; with programId, added to its subscribers' }),
    programId: idSchema.optional().openapi({ description: "every user with a phone subscribed by SMS to this program (422 when it does not exist)" }),
    eventTypeId: idSchema.optional().openapi({ description: 'with programId: only the subscribers of this event type' }),
    contactListId: z.string().min(1).max(100).optional().openapi({ description: 'every member of this contact list (422 when the workspace has no such list); not with recipients or programId' }),
    sendAt: isoTime.optional().openapi({ description: 'when it goes out by itself (status scheduled); absent: a draft, sent by POST .../run' }),
    provider: z.string().min(1).max(100).optional().openapi({ description: 'provider instance id or vendor (nexmo and at are aliases of vonage and africastalking)' }),
    strictProvider: z.boolean().optional().openapi({ description: 'never fail over to another provider' }),
    validityHours: z.number().positive().max(24 * 30).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    // Valid by the document (every field is optional there), unusable together: 422.
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message, params: UNPROCESSABLE });
    if (b.message === undefined && b.template === undefined) issue('message', 'is required (or template)');
    if (b.message !== undefined && b.template !== undefined) issue('template', 'give message or template, not both');
    if (b.recipients === undefined && b.programId === undefined && b.contactListId === undefined) issue('recipients', 'is required (or programId, or contactListId)');
    if (b.contactListId !== undefined && (b.recipients !== undefined || b.programId !== undefined)) issue('contactListId', 'give recipients, programId or contactListId, not contactListId with another');
    if (b.eventTypeId !== undefined && b.programId === undefined) issue('eventTypeId', 'needs programId');
  })
  .openapi('CampaignCreate');

export const campaignRunSchema = z
  .object({
    provider: z.string().min(1).max(100).optional().openapi({ description: 'send this run through this provider (aliases accepted)' }),
    strictProvider: z.boolean().optional(),
  })
  .strict()
  .openapi('CampaignRun');

const countsSchema = z.record(z.number().int()).openapi({ description: 'messages per status, and unsent (no message created yet)', example: { delivered: 950, failed: 3, unsent: 47 } });

export const campaignSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    name: z.string(),
    channel: z.literal('sms'),
    message: z.string(),
    provider: z.string().optional(),
    strictProvider: z.boolean().optional(),
    sendAt: dateTimeOut.optional(),
    validityHours: z.number(),
    validUntil: dateTimeOut.optional(),
    status: z.enum(CAMPAIGN_STATUSES),
    pauseReason: z.string().optional().openapi({ example: 'insufficient_credit' }),
    recipients: z.number().int(),
    run: z.object({ cursor: z.string().optional(), messages: z.number().int(), startedAt: dateTimeOut.optional(), finishedAt: dateTimeOut.optional() }),
    importId: z.string().optional(),
    warnings: z.array(z.string()).optional(),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('CampaignSummary');

export const campaignViewSchema = campaignSchema
  .extend({ counts: countsSchema, segments: z.number().int(), creditsSpent: z.number() })
  .openapi('Campaign');

export const campaignPageSchema = pageOf(campaignSchema, 'CampaignPage');

export const campaignEstimateSchema = z
  .object({ messages: z.number().int(), segments: z.number().int(), credits: z.number(), balance: z.number().nullable(), covered: z.boolean() })
  .openapi('CampaignEstimate');

export const campaignParams = z.object({ id: idText });

export const campaignListQuery = z
  .object({
    status: z.enum(CAMPAIGN_STATUSES).optional(),
    due: z.enum(['true', 'false']).optional().openapi({ description: 'true: only those whose send time has come' }),
    ...pageQuery(50, 500),
  })
  .strict();

export const campaignMessagesQuery = z.object({ status: z.enum(MESSAGE_STATUSES).optional(), ...pageQuery(50, 500) }).strict();

const rejectedRowSchema = z.object({ line: z.number().int(), column: z.string().optional(), reason: z.string() });

export const importReportSchema = z.object({
  rowsRead: z.number().int(),
  rowsImported: z.number().int(),
  rowsExpired: z.number().int(),
  campaignsCreated: z.number().int(),
  campaignsReused: z.number().int(),
  campaigns: z.array(z.object({ name: z.string(), id: z.string().optional(), recipients: z.number().int(), sendAt: dateTimeOut.optional(), created: z.boolean() })),
  contactsCreated: z.number().int(),
  messagesPlanned: z.number().int(),
  duplicates: z.number().int(),
  segments: z.number().int(),
  credits: z.number(),
  rejected: z.array(rejectedRowSchema),
  rejectedTotal: z.number().int(),
  warnings: z.array(z.string()),
});

export const importSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    status: z.enum(IMPORT_STATUSES),
    dryRun: z.boolean(),
    onError: z.enum(['reject', 'skip']),
    provider: z.string().optional(),
    report: importReportSchema,
    error: z.string().optional(),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('Import');

export const importQuery = z
  .object({
    dryRun: z.enum(['true', 'false']).optional().openapi({ description: 'true: report what would happen, write nothing' }),
    onError: z.enum(['reject', 'skip']).optional().openapi({ description: 'reject (default): one bad row rejects the file; skip: import the good rows' }),
    provider: z.string().min(1).max(100).optional().openapi({ description: "the campaigns' provider (aliases accepted)" }),
  })
  .strict();
