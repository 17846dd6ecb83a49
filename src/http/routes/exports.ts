// CSV exports of message records: one notification's, one campaign's, or every message created in an interval.
import { NotFoundError, ValidationError } from '../../domain/errors';
import { messagesCsv } from '../../services/exports/messages-csv';
import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { idText } from '../schemas/common';
import { isoTime } from '../schemas/notifications';
import { z } from '../schemas/zod';

const CSV_HEADERS = (name: string) => ({ 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}"` });
const COLUMNS = 'id, notificationId, programId, userId, recipient, channel, provider, status, segments, credits, attempts, createdAt, sentAt, deliveredAt, updatedAt, errorCode, errorMessage';
const csvResponse = { 200: { description: `CSV with a header row (${COLUMNS}), streamed oldest first` } };

export function exportRoutes({ store }: HttpDeps): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/notifications/:id/messages.csv', tag: 'exports', access: 'viewer', summary: "Every message of one notification, as CSV",
      params: z.object({ id: idText }), responses: csvResponse, errors: [404, 503],
      async handler({ params, res, workspaceId }) {
        const n = await store.notifications.get(params.id);
        if (!n || n.workspaceId !== workspaceId) throw new NotFoundError('notification', params.id, 'id');
        res.locals.notificationId = params.id;
        return { status: 200, headers: CSV_HEADERS(`messages-${params.id}.csv`), stream: messagesCsv(store.messages.stream({ notificationId: params.id })) };
      },
    }),
    route({
      method: 'get', path: '/v1/campaigns/:id/messages.csv', tag: 'exports', access: 'viewer', summary: "Every message of one campaign, as CSV",
      params: z.object({ id: idText }), responses: csvResponse, errors: [404, 503],
      async handler({ params, workspaceId }) {
        const c = await store.campaigns.get(params.id);
        if (!c || c.workspaceId !== workspaceId) throw new NotFoundError('campaign', params.id, 'id');
        // A campaign's messages carry its id as their notificationId (the same stream as a notification's).
        return { status: 200, headers: CSV_HEADERS(`messages-${params.id}.csv`), stream: messagesCsv(store.messages.stream({ notificationId: c.id })) };
      },
    }),
    route({
      method: 'get', path: '/v1/exports/messages.csv', tag: 'exports', access: 'viewer', summary: "Every message of the caller's workspace created in [start, end), as CSV",
      query: z.object({ start: isoTime, end: isoTime }).strict(), responses: csvResponse, errors: [503],
      async handler({ query, workspaceId }) {
        if (query.end.getTime() <= query.start.getTime()) throw new ValidationError([{ field: 'end', reason: 'must be after start' }]);
        const stream = messagesCsv(store.messages.stream({ workspaceId, createdFrom: query.start, createdBefore: query.end }));
        return { status: 200, headers: CSV_HEADERS('messages.csv'), stream };
      },
    }),
  ];
}
