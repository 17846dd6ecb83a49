// Client webhook endpoints and deliveries on the wire.
import { ENDPOINT_ID_PATTERN, WEBHOOK_EVENT_TYPES } from '../../domain/webhooks';
import { WEBHOOK_DELIVERY_STATES } from '../../store/store-webhooks';
import { clearableText, dateTimeOut, idText, pageOf, pageQuery } from './common';
import { z } from './zod';

const url = z
  .string()
  .max(2000)
  .url('must be an absolute http:// or https:// URL')
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http:// or https:// URL')
  .openapi({ example: 'https://example.com/herald/webhooks' });

const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((l) => new Set(l).size === l.length, 'must not repeat an event type')
  .openapi({ uniqueItems: true, example: ['message.delivered', 'message.failed'], description: 'event types sent; absent or empty: every event' });

const description = z.string().max(500);

export const webhookEndpointCreateSchema = z
  .object({ url, events: events.optional(), description: description.optional() })
  .strict()
  .openapi('WebhookEndpointCreate', { example: { url: 'https://example.com/herald/webhooks', events: ['message.delivered', 'message.failed'] } });

export const webhookEndpointPatchSchema = z
  .object({
    url: url.optional(),
    events: events.optional(),
    description: clearableText(500),
    enabled: z.boolean().optional().openapi({ description: 'false disables the endpoint; true enables it again (and clears a failing run)' }),
  })
  .strict()
  .openapi('WebhookEndpointPatch', { description: 'null clears the description' });

const endpointFields = {
  id: z.string().openapi({ example: 'we_3kT9aQ2mLx7PzR4bN8cV1dWs' }),
  workspaceId: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().optional(),
  enabled: z.boolean(),
  disabledReason: z.enum(['failing', 'manual']).optional().openapi({ description: 'failing: Herald disabled it after failing continuously; manual: PATCH enabled=false' }),
  disabledAt: dateTimeOut.optional(),
  failingSince: dateTimeOut.optional().openapi({ description: 'every attempt since this time failed' }),
  createdAt: dateTimeOut,
  updatedAt: dateTimeOut,
};

export const webhookEndpointSchema = z.object(endpointFields).openapi('WebhookEndpoint');

export const webhookEndpointWithSecretSchema = z
  .object({
    ...endpointFields,
    secret: z.string().openapi({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'signing secret; shown only now: keep it' }),
  })
  .openapi('WebhookEndpointWithSecret');

export const webhookEndpointPageSchema = pageOf(webhookEndpointSchema, 'WebhookEndpointPage');

export const webhookParams = z.object({
  webhookId: z.string().regex(ENDPOINT_ID_PATTERN, 'must be a webhook endpoint id (we_ and 8-64 letters or digits)').openapi({ example: 'we_3kT9aQ2mLx7PzR4bN8cV1dWs' }),
});

export const deliveryParams = webhookParams.extend({ deliveryId: idText });

const attemptSchema = z.object({
  at: dateTimeOut,
  statusCode: z.number().int().optional().openapi({ description: "the endpoint's HTTP status; absent when no answer came" }),
  latencyMs: z.number().int(),
  error: z.string().optional(),
});

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    eventId: z.string().openapi({ description: 'the webhook-id header, the same on every attempt and replay' }),
    eventType: z.string(),
    state: z.enum(WEBHOOK_DELIVERY_STATES),
    nextAttemptAt: dateTimeOut.optional().openapi({ description: 'when pending: the next try' }),
    retryUntil: dateTimeOut,
    attemptCount: z.number().int(),
    attempts: z.array(attemptSchema).openapi({ description: 'oldest first (the newest 50)' }),
    lastError: z.string().optional(),
    event: z.record(z.unknown()).openapi({ description: 'the JSON body sent' }),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('WebhookDelivery');

export const webhookDeliveryPageSchema = pageOf(webhookDeliverySchema, 'WebhookDeliveryPage');

export const deliveryQuery = z
  .object({
    ...pageQuery(50, 500),
    state: z.enum(WEBHOOK_DELIVERY_STATES).optional(),
    eventId: idText.optional(),
  })
  .strict();
