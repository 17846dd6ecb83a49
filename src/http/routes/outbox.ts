// GET /v1/outbox: what the outbox providers wrote (role: viewer). 404 when no channel uses the outbox.
import type { OutboxService } from '../../services/outbox';
import { route, type RouteSpec } from '../route';
import { outboxPageSchema, outboxQuerySchema } from '../schemas/outbox';

export function outboxRoutes(outbox: OutboxService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/outbox',
      tag: 'outbox',
      // Admin: the outbox holds what every workspace sent.
      access: 'admin',
      summary: 'What the outbox providers wrote, oldest first (follow with after=next)',
      query: outboxQuerySchema,
      responses: { 200: { description: 'outbox entries', schema: outboxPageSchema } },
      errors: [404],
      async handler({ query, res }) {
        if (query.notificationId) res.locals.notificationId = query.notificationId;
        return { status: 200, body: outbox.read(query) };
      },
    }),
  ];
}
