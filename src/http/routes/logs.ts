import { maskText } from '../../log/mask';
import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { logListSchema, logQuerySchema } from '../schemas/logs';

export function logRoutes({ store, config }: HttpDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/logs',
      tag: 'logs',
      summary: 'Search the consolidated log, oldest first (follow with afterSeq)',
      description: "A viewer or sender sees its workspace's lines only; an admin sees every line (workspaceId filters).",
      access: 'viewer',
      query: logQuerySchema,
      responses: { 200: { description: 'matching log lines', schema: logListSchema } },
      errors: [503],
      async handler({ query, res, principal, workspaceId }) {
        if (query.notificationId) res.locals.notificationId = query.notificationId;
        const scope = principal?.role === 'admin' ? query.workspaceId : workspaceId;
        // Lines keep message ids masked (a user id may be a phone number): look for the masked form.
        const messageId = query.messageId && config.log.maskPersonalData ? maskText(query.messageId) : query.messageId;
        return { status: 200, body: { items: await store.logs.query({ ...query, messageId, workspaceId: scope }) } };
      },
    }),
  ];
}
