import type { Response } from 'express';
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import type { Notification } from '../../domain/types';
import { isReplay } from '../../services/idempotency';
import type { NotificationRequest } from '../../services/notification-service';
import type { HttpDeps } from '../deps';
import { route, type Reply, type RouteSpec } from '../route';
import {
  acceptedSchema, idempotencyHeader, messageListQuery, messagePageSchema, notificationCreateSchema, notificationListQuery,
  notificationPageSchema, notificationParams, notificationPatchSchema, notificationSchema, notificationSummarySchema,
} from '../schemas/notifications';
import { z } from '../schemas/zod';

const BASE = '/v1/notifications';

const createHeaders = idempotencyHeader.extend({
  'x-client-id': z.string().min(1).max(200).optional().openapi({ description: 'who is calling: Idempotency-Keys are scoped per client (default anonymous)' }),
});

export const ACCEPTED_RESPONSE = {
  202: { description: 'stored; it will be dispatched inside its window', schema: acceptedSchema, headers: { Location: 'the notification URL' } },
};

/** Refused before the service is called, so a rejected request writes nothing. */
export function assertWindowOrder(startTime: Date, endTime: Date | undefined, endField = 'endTime'): void {
  if (endTime && endTime.getTime() <= startTime.getTime()) {
    throw new UnprocessableError([{ field: endField, reason: 'must be after startTime' }], 'the time window cannot be used');
  }
}

/** Accepts through the service and answers 202 with the same body on every door. */
export async function acceptAndReply(deps: HttpDeps, req: NotificationRequest, res: Response): Promise<Reply> {
  const n: Notification = await deps.notifications.accept(req);
  res.locals.notificationId = n.id;
  const body = { id: n.id, status: n.status, startTime: n.startTime, endTime: n.endTime, validUntil: n.validUntil, warnings: n.warnings };
  const headers: Record<string, string> = { Location: `${BASE}/${encodeURIComponent(n.id)}` };
  if (isReplay(n)) headers['Idempotent-Replayed'] = 'true';
  return { status: 202, body, headers };
}

export function notificationRoutes(deps: HttpDeps): RouteSpec[] {
  const { notifications } = deps;
  return [
    route({
      method: 'post',
      path: BASE,
      tag: 'notifications',
      summary: 'Post a notification event: a program, an event type, a time window, data and optional recipients',
      access: 'sender',
      description:
        'With an Idempotency-Key (kept per X-Client-Id for idempotencyHours), a retry with the same body answers 202 with the ' +
        'first notification again (header Idempotent-Replayed: true); the same key with another body is refused with 422; ' +
        'a key whose first request is still running gets 409. recipients (at most 1000) are reached beside the subscribers; ' +
        'a phone that is no valid number is refused with 422 naming recipients[i].phone.',
      body: notificationCreateSchema,
      headers: createHeaders,
      responses: ACCEPTED_RESPONSE,
      errors: [404, 409, 422, 503],
      async handler({ body, headers, res, workspaceId }) {
        assertWindowOrder(body.startTime, body.endTime);
        const idempotencyKey = headers['idempotency-key'];
        const clientId = headers['x-client-id'];
        const req: NotificationRequest = { ...body, workspaceId, data: body.data ?? {}, source: 'api', ...(idempotencyKey ? { idempotencyKey } : {}), ...(clientId ? { clientId } : {}) };
        return acceptAndReply(deps, req, res);
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'notifications',
      summary: 'List notifications, newest first, filtered by program and status',
      access: 'viewer',
      query: notificationListQuery,
      responses: { 200: { description: 'a page of notifications', schema: notificationPageSchema } },
      async handler({ query, workspaceId }) {
        const { limit, offset, ...filter } = query;
        return { status: 200, body: await notifications.list(workspaceId, filter, { limit, offset }) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:id`,
      tag: 'notifications',
      summary: 'Get a notification with its message counts by status',
      access: 'viewer',
      params: notificationParams,
      responses: { 200: { description: 'the notification', schema: notificationSummarySchema } },
      errors: [404],
      async handler({ params, res, workspaceId }) {
        res.locals.notificationId = params.id;
        const n = await notifications.get(workspaceId, params.id);
        if (!n) throw new NotFoundError('notification', params.id);
        return { status: 200, body: n };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:id/messages`,
      tag: 'notifications',
      summary: "List a notification's messages, filtered by status and channel",
      access: 'viewer',
      params: notificationParams,
      query: messageListQuery,
      responses: { 200: { description: 'a page of messages', schema: messagePageSchema } },
      errors: [404],
      async handler({ params, query, res, workspaceId }) {
        res.locals.notificationId = params.id;
        const { limit, offset, ...filter } = query;
        return { status: 200, body: await notifications.messages(workspaceId, params.id, filter, { limit, offset }) };
      },
    }),
    route({
      method: 'patch',
      path: `${BASE}/:id`,
      tag: 'notifications',
      summary: "Close an open window (or move a closed window's end)",
      access: 'sender',
      params: notificationParams,
      body: notificationPatchSchema,
      responses: { 200: { description: 'the notification with its new end', schema: notificationSchema } },
      errors: [404, 422],
      async handler({ params, body, res, workspaceId }) {
        res.locals.notificationId = params.id;
        return { status: 200, body: await notifications.close(workspaceId, params.id, body.endTime) };
      },
    }),
    route({
      method: 'post',
      path: `${BASE}/:id/cancel`,
      tag: 'notifications',
      summary: 'Cancel every message not yet handed to a provider',
      access: 'sender',
      params: notificationParams,
      responses: { 200: { description: 'the notification after cancelling', schema: notificationSummarySchema } },
      errors: [404, 422],
      async handler({ params, res, workspaceId }) {
        res.locals.notificationId = params.id;
        return { status: 200, body: await notifications.cancel(workspaceId, params.id) };
      },
    }),
  ];
}
