import { channelSchema, idText, pageQuery } from './common';
import { z } from './zod';

export const outboxQuerySchema = z
  .object({
    notificationId: idText.optional(),
    channel: channelSchema.optional(),
    after: z
      .string()
      .max(100)
      .regex(/^((sms|email):[0-9]{1,15}(,(sms|email):[0-9]{1,15})*)?$/, "must be the 'next' value of an earlier answer, e.g. sms:120,email:0")
      .optional()
      .openapi({ description: "the `next` of an earlier answer: only entries written since (for following)" }),
    limit: pageQuery(200, 1000).limit,
  })
  .strict();

export const outboxItemSchema = z
  .object({
    channel: channelSchema,
    notificationId: z.string(),
    messageId: z.string(),
    id: z.string().openapi({ description: "the outbox's provider message id" }),
    time: z.string().openapi({ format: 'date-time' }),
    to: z.string(),
    text: z.string(),
    subject: z.string().optional(),
    part: z.number().int().optional().openapi({ description: 'SMS part, 0-based' }),
  })
  .openapi('OutboxEntry');

export const outboxPageSchema = z
  .object({ items: z.array(outboxItemSchema), next: z.string().openapi({ example: 'sms:1024,email:512' }) })
  .openapi('OutboxPage');
