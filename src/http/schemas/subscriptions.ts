import { channelsSchema, dateTimeOut, idSchema, idText, pageOf, pageQuery } from './common';
import { z } from './zod';

export const subscriptionCreateSchema = z
  .object({
    id: idSchema.optional(),
    userId: idSchema,
    programId: idSchema,
    eventTypeId: idSchema.optional().openapi({ description: 'absent: every event type of the program' }),
    channels: channelsSchema,
  })
  .strict()
  .openapi('SubscriptionCreate', { example: { userId: 'u1', programId: 1, eventTypeId: 1, channels: ['sms'] } });

export const subscriptionPatchSchema = z.object({ channels: channelsSchema }).strict().openapi('SubscriptionPatch');

export const subscriptionSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string().openapi({ description: 'the workspace it belongs to' }),
    userId: z.string(),
    programId: z.string(),
    eventTypeId: z.string().optional(),
    channels: channelsSchema,
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('Subscription');

export const subscriptionPageSchema = pageOf(subscriptionSchema, 'SubscriptionPage');

export const subscriptionParams = z.object({ id: idText });

export const subscriptionListQuery = z
  .object({ userId: idText.optional(), programId: idText.optional(), eventTypeId: idText.optional(), ...pageQuery(50, 500) })
  .strict();
