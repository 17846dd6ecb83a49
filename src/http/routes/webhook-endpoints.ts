// The client's webhook endpoints: /v1/webhooks and /v1/webhooks/we_...; readers are viewers, writers
// senders (as for programs). Providers' delivery reports share the prefix: /v1/webhooks/<providerId>
// (routes/webhooks.ts) never starts with `we_`, which config refuses as a provider id.
import { route, type RouteSpec } from '../route';
import type { WebhookEndpoints } from '../../services/webhooks';
import { listQuery, nullsToUndefined } from '../schemas/common';
import {
  deliveryParams, deliveryQuery, webhookDeliveryPageSchema, webhookDeliverySchema, webhookEndpointCreateSchema, webhookEndpointPageSchema,
  webhookEndpointPatchSchema, webhookEndpointSchema, webhookEndpointWithSecretSchema, webhookParams,
} from '../schemas/webhooks';

const BASE = '/v1/webhooks';
const ONE = `${BASE}/:webhookId`;
const tag = 'webhook endpoints';

/** PATCH or DELETE of /v1/webhooks/<not we_...>: that path is a provider's delivery-report path, which takes GET and POST. */
const notAnEndpoint = (method: string) => ({
  405: { code: 'METHOD_NOT_ALLOWED', message: `${method} is not allowed on /v1/webhooks/sms-twilio; use GET, HEAD, POST` },
});

export function webhookEndpointRoutes(endpoints: WebhookEndpoints): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: BASE,
      tag,
      summary: 'Register a webhook endpoint (its signing secret is shown only in this answer)',
      description:
        'Herald POSTs each event (message status changes, notification and campaign completion) to the URL, signed the ' +
        'Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature). Only http(s); loopback, private and ' +
        'link-local addresses are refused (422) unless the operator set HERALD_WEBHOOKS_ALLOW_PRIVATE=true.',
      access: 'sender',
      body: webhookEndpointCreateSchema,
      // No Location header: its path would also fit the providers' /v1/webhooks/{providerId} template.
      responses: { 201: { description: 'registered; keep the secret', schema: webhookEndpointWithSecretSchema } },
      errors: [422],
      async handler({ body, workspaceId }) {
        const e = await endpoints.create(workspaceId, body);
        return { status: 201, body: e };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag,
      summary: "List the workspace's webhook endpoints",
      access: 'viewer',
      query: listQuery,
      responses: { 200: { description: 'a page of endpoints (never their secrets)', schema: webhookEndpointPageSchema } },
      async handler({ query, workspaceId }) {
        return { status: 200, body: await endpoints.list(workspaceId, query) };
      },
    }),
    route({
      method: 'get',
      path: ONE,
      tag,
      summary: 'Get a webhook endpoint',
      access: 'viewer',
      params: webhookParams,
      responses: { 200: { description: 'the endpoint', schema: webhookEndpointSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await endpoints.get(workspaceId, params.webhookId) };
      },
    }),
    route({
      method: 'patch',
      path: ONE,
      tag,
      summary: 'Change a webhook endpoint: url, events, description; enabled false disables it, true enables it again',
      access: 'sender',
      params: webhookParams,
      body: webhookEndpointPatchSchema,
      responses: { 200: { description: 'the endpoint after the change', schema: webhookEndpointSchema } },
      // 405: an id without the we_ prefix names a provider's delivery-report path (GET and POST only).
      errors: [404, 405, 422],
      errorExamples: notAnEndpoint('PATCH'),
      async handler({ params, body, workspaceId }) {
        const change = nullsToUndefined(body);
        return { status: 200, body: await endpoints.update(workspaceId, params.webhookId, { ...change, ...(body.description === null ? { description: null } : {}) }) };
      },
    }),
    route({
      method: 'delete',
      path: ONE,
      tag,
      summary: 'Delete a webhook endpoint and its deliveries',
      access: 'sender',
      params: webhookParams,
      responses: { 204: { description: 'deleted' } },
      errors: [404, 405],
      errorExamples: notAnEndpoint('DELETE'),
      async handler({ params, workspaceId }) {
        await endpoints.delete(workspaceId, params.webhookId);
        return { status: 204 };
      },
    }),
    route({
      method: 'post',
      path: `${ONE}/rotate`,
      tag,
      summary: 'Replace the signing secret (the new one is shown only in this answer; the old one stops at once)',
      access: 'sender',
      params: webhookParams,
      responses: { 200: { description: 'the endpoint with its new secret', schema: webhookEndpointWithSecretSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await endpoints.rotate(workspaceId, params.webhookId) };
      },
    }),
    route({
      method: 'get',
      path: `${ONE}/deliveries`,
      tag,
      summary: "The endpoint's deliveries, newest first, each with its attempts (status code, latency, error, time)",
      access: 'viewer',
      params: webhookParams,
      query: deliveryQuery,
      responses: { 200: { description: 'a page of deliveries', schema: webhookDeliveryPageSchema } },
      errors: [404],
      async handler({ params, query, workspaceId }) {
        const { limit, offset, state, eventId } = query;
        return { status: 200, body: await endpoints.deliveries(workspaceId, params.webhookId, { state, eventId }, { limit, offset }) };
      },
    }),
    route({
      method: 'post',
      path: `${ONE}/deliveries/:deliveryId/replay`,
      tag,
      summary: 'Send a delivery again now (same event id), with a new retry window',
      access: 'sender',
      params: deliveryParams,
      responses: { 202: { description: 'the delivery, pending again', schema: webhookDeliverySchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        return { status: 202, body: await endpoints.replay(workspaceId, params.webhookId, params.deliveryId) };
      },
    }),
  ];
}
