import { clearableText, nameSchema, dateTimeOut, idSchema, idText, pageOf } from './common';
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

export const eventTypeCreateSchema = z
  .object({ id: idSchema.optional(), name, description: z.string().max(2000).optional(), templates: templatesSchema.default({}) })
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
  })
  .strict()
  .openapi('EventTypePatch', { description: 'null clears an optional field or a channel template' });

export const eventTypeSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string().openapi({ description: 'the workspace it belongs to' }),
    programId: z.string(),
    name: z.string(),
    description: z.string().optional(),
    templates: templatesSchema,
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('EventType');

export const eventTypePageSchema = pageOf(eventTypeSchema, 'EventTypePage');

export const eventTypeParams = z.object({ programId: idText, eventTypeId: idText });
