import { pathProblem } from '../../domain/recipients';
import { clearableText, nameSchema, dateTimeOut, idSchema, idText, pageOf, UNPROCESSABLE } from './common';
import { z } from './zod';

const name = nameSchema;
const templateText = z.string().min(1, 'must not be empty').max(20_000);

export const smsTemplateSchema = z.object({ text: templateText }).strict().openapi('SmsTemplate', { example: { text: 'Hello {{name}}, your session starts at {{time}}.' } });
export const emailTemplateSchema = z
  .object({ subject: templateText, text: templateText, html: templateText.optional() })
  .strict()
  .openapi('EmailTemplate');

export const templatesSchema = z
  .object({ sms: smsTemplateSchema.optional(), email: emailTemplateSchema.optional() })
  .strict()
  .openapi('Templates', { description: 'Handlebars templates per channel, rendered with the notification data' });

const SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const setName = z
  .string()
  .regex(SET_NAME, 'must be 1-64 letters, digits, "_" or "-"')
  .openapi({ description: "the name of one of the event type's templateSets", example: 'flagged' });

/** The shape the document states; a path into the prototype (data.__proto__) is refused too, with 422. */
const DATA_PATH_PATTERN = '^data(\\.[^.\\s]+)+$';
const dataPath = z
  .string()
  .max(300)
  .superRefine((p, ctx) => {
    const problem = pathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, params: UNPROCESSABLE });
  })
  .openapi({
    type: 'string',
    maxLength: 300,
    pattern: DATA_PATH_PATTERN,
    description: "a dotted path into the event's data, starting with data. (not through __proto__, prototype or constructor)",
    example: 'data.customer.phone',
  });

export const recipientPathSchema = z
  .object({ phone: dataPath.optional(), email: dataPath.optional(), name: dataPath.optional(), template: setName.optional() })
  .strict()
  .superRefine((rp, ctx) => {
    if (rp.phone === undefined && rp.email === undefined) ctx.addIssue({ code: 'custom', path: ['phone'], message: 'a recipient path needs a phone or an email path (or both)' });
  })
  .openapi('RecipientPath', {
    anyOf: [{ required: ['phone'] }, { required: ['email'] }],
    description: "Where a recipient is found in the event's data: a phone and/or an email path (and a name path); template picks a template set",
    example: { phone: 'data.customer.phone', name: 'data.customer.name', template: 'receipt' },
  });

const MAX_RULES = 50;
const MAX_PATHS = 20;
const MAX_SETS = 20;

export const ruleSchema = z
  .object({
    id: idText.openapi({ description: 'unique within the event type; recorded on the notifications it matches', example: 'overspend' }),
    description: z.string().max(2000).optional(),
    when: z
      .union([z.record(z.unknown()), z.boolean()], {
        errorMap: (_i, ctx) => ({ message: ctx.data === undefined ? 'is required' : 'must be a JSON Logic operation (an object such as {">": [{"var": "data.a"}, 1]}) or true/false' }),
      })
      .openapi({
        description: "a JSON Logic condition over { data: <the event's data> }; a rule reading a field the event lacks is false, with a warning",
        example: { '>': [{ var: 'data.monthly_savings' }, { var: 'data.monthly_income' }] },
      }),
    action: z.enum(['send', 'skip']).optional().openapi({ description: 'skip: when the rule holds the notification sends nothing (default send)' }),
    template: setName.optional().openapi({ description: "the template set the event's own audience (subscribers, explicit and path recipients) gets" }),
    recipients: z.array(recipientPathSchema).max(MAX_PATHS).optional().openapi({ description: 'extra recipients taken from the data when the rule holds' }),
  })
  .strict()
  .openapi('Rule');

/** Names the document can only describe in words (OpenAPI 3.0 has no propertyNames): a bad one is 422. */
const templateSetsSchema = z
  .record(z.string(), templatesSchema)
  .superRefine((sets, ctx) => {
    for (const name of Object.keys(sets)) {
      if (!SET_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'a template set name must be 1-64 letters, digits, "_" or "-"', params: UNPROCESSABLE });
    }
  })
  .refine((sets) => Object.keys(sets).length <= MAX_SETS, `must have at most ${MAX_SETS} template sets`)
  .openapi({
    maxProperties: MAX_SETS,
    description: 'named alternatives to templates (names: 1-64 letters, digits, "_" or "-"), picked by rules and recipient paths; a channel a set lacks falls back to templates',
  });
const recipientPathsSchema = z
  .array(recipientPathSchema)
  .max(MAX_PATHS)
  .openapi({ description: 'recipients every event of this type reaches, found in its data (a form response\'s respondent)' });
const rulesSchema = z.array(ruleSchema).max(MAX_RULES).openapi({ description: 'evaluated in order when a notification is accepted' });

export const eventTypeCreateSchema = z
  .object({
    id: idSchema.optional(),
    name,
    description: z.string().max(2000).optional(),
    templates: templatesSchema.default({}),
    templateSets: templateSetsSchema.optional(),
    recipientPaths: recipientPathsSchema.optional(),
    rules: rulesSchema.optional(),
  })
  .strict()
  .openapi('EventTypeCreate');

/** `templates` patches per channel: a channel given replaces that channel's template, null removes it. */
export const eventTypePatchSchema = z
  .object({
    name: name.optional(),
    description: clearableText(2000),
    templates: z
      .object({ sms: smsTemplateSchema.nullable().optional(), email: emailTemplateSchema.nullable().optional() })
      .strict()
      .optional(),
    templateSets: templateSetsSchema.nullable().optional(),
    recipientPaths: recipientPathsSchema.nullable().optional(),
    rules: rulesSchema.nullable().optional(),
  })
  .strict()
  .openapi('EventTypePatch', { description: 'null clears an optional field or a channel template; templateSets, recipientPaths and rules are replaced whole' });

export const eventTypeSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string().openapi({ description: 'the workspace it belongs to' }),
    programId: z.string(),
    name: z.string(),
    description: z.string().optional(),
    templates: templatesSchema,
    templateSets: templateSetsSchema.optional(),
    recipientPaths: recipientPathsSchema.optional(),
    rules: rulesSchema.optional(),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('EventType');

export const eventTypePageSchema = pageOf(eventTypeSchema, 'EventTypePage');

export const eventTypeParams = z.object({ programId: idText, eventTypeId: idText });
