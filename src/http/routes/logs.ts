import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { logListSchema, logQuerySchema } from '../schemas/logs';

export function logRoutes({ store }: HttpDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/logs',
      tag: 'logs',
      summary: 'Search the consolidated log, oldest first (follow with afterSeq)',
      query: logQuerySchema,
      responses: { 200: { description: 'matching log lines', schema: logListSchema } },
      errors: [503],
      async handler({ query, res }) {
        if (query.notificationId) res.locals.notificationId = query.notificationId;
        return { status: 200, body: { items: await store.logs.query(query) } };
      },
    }),
  ];
}
