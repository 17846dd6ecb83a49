import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, UnprocessableError, type FieldIssue } from '../../domain/errors';
import type { HttpDeps } from '../deps';
import { assertIdFree, route, type RouteSpec } from '../route';
import {
  subscriptionCreateSchema, subscriptionListQuery, subscriptionPageSchema, subscriptionParams, subscriptionPatchSchema, subscriptionSchema,
} from '../schemas/subscriptions';

const BASE = '/v1/subscriptions';

export function subscriptionRoutes({ store }: HttpDeps): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: BASE,
      tag: 'subscriptions',
      summary: "Subscribe a user to a program's event type (or all of them) over channels",
      access: 'sender',
      body: subscriptionCreateSchema,
      responses: { 201: { description: 'created', schema: subscriptionSchema, headers: { Location: 'the subscription URL' } } },
      errors: [409, 422],
      async handler({ body, workspaceId: ws }) {
        const [user, program, eventType] = await Promise.all([
          store.users.get(ws, body.userId),
          store.programs.get(ws, body.programId),
          body.eventTypeId === undefined ? Promise.resolve(undefined) : store.eventTypes.get(ws, body.programId, body.eventTypeId),
        ]);
        const issues: FieldIssue[] = [];
        if (!user) issues.push({ field: 'userId', reason: `user '${body.userId}' does not exist` });
        if (!program) issues.push({ field: 'programId', reason: `program '${body.programId}' does not exist` });
        else if (eventType === null) {
          issues.push({ field: 'eventTypeId', reason: `event type '${body.eventTypeId}' does not exist in program '${body.programId}'` });
        }
        if (issues.length) throw new UnprocessableError(issues, 'the subscription refers to records that do not exist');
        if (body.id !== undefined) assertIdFree(await store.subscriptions.get(ws, body.id), 'subscription', body.id);
        const same = await store.subscriptions.list(ws, { userId: body.userId, programId: body.programId, eventTypeId: body.eventTypeId }, { limit: 500, offset: 0 });
        const twin = same.items.find((s) => s.eventTypeId === body.eventTypeId);
        if (twin) {
          const scope = body.eventTypeId === undefined ? 'every event type of the program' : `event type '${body.eventTypeId}'`;
          throw new ConflictError(`user '${body.userId}' is already subscribed to ${scope} (subscription '${twin.id}'); PATCH its channels instead`);
        }
        const s = await store.subscriptions.create(ws, { ...body, id: body.id ?? randomUUID() });
        return { status: 201, body: s, headers: { Location: `${BASE}/${encodeURIComponent(s.id)}` } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'subscriptions',
      summary: 'List subscriptions, filtered by user, program and event type',
      access: 'viewer',
      query: subscriptionListQuery,
      responses: { 200: { description: 'a page of subscriptions', schema: subscriptionPageSchema } },
      async handler({ query, workspaceId }) {
        const { limit, offset, ...filter } = query;
        return { status: 200, body: await store.subscriptions.list(workspaceId, filter, { limit, offset }) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:id`,
      tag: 'subscriptions',
      summary: 'Get a subscription',
      access: 'viewer',
      params: subscriptionParams,
      responses: { 200: { description: 'the subscription', schema: subscriptionSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        const s = await store.subscriptions.get(workspaceId, params.id);
        if (!s) throw new NotFoundError('subscription', params.id);
        return { status: 200, body: s };
      },
    }),
    route({
      method: 'patch',
      path: `${BASE}/:id`,
      tag: 'subscriptions',
      summary: "Change a subscription's channels",
      access: 'sender',
      params: subscriptionParams,
      body: subscriptionPatchSchema,
      responses: { 200: { description: 'the changed subscription', schema: subscriptionSchema } },
      errors: [404],
      async handler({ params, body, workspaceId }) {
        const s = await store.subscriptions.update(workspaceId, params.id, body);
        if (!s) throw new NotFoundError('subscription', params.id);
        return { status: 200, body: s };
      },
    }),
    route({
      method: 'delete',
      path: `${BASE}/:id`,
      tag: 'subscriptions',
      summary: 'Delete a subscription',
      access: 'sender',
      params: subscriptionParams,
      responses: { 204: { description: 'deleted' } },
      errors: [404],
      async handler({ params, workspaceId }) {
        if (!(await store.subscriptions.delete(workspaceId, params.id))) throw new NotFoundError('subscription', params.id);
        return { status: 204 };
      },
    }),
  ];
}
