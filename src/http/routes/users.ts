import { randomUUID } from 'node:crypto';
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import type { HttpDeps } from '../deps';
import { assertIdFree, route, type RouteSpec } from '../route';
import { listQuery, nullsToUndefined } from '../schemas/common';
import { NEEDS_CONTACT, userCreateSchema, userPageSchema, userParams, userPatchSchema, userSchema } from '../schemas/users';

const BASE = '/v1/users';

export function userRoutes({ store }: HttpDeps): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: BASE,
      tag: 'users',
      summary: 'Create a user (a phone in E.164 and/or an email)',
      access: 'sender',
      body: userCreateSchema,
      responses: { 201: { description: 'created', schema: userSchema, headers: { Location: 'the user URL' } } },
      errors: [409, 422],
      async handler({ body, workspaceId }) {
        if (body.id !== undefined) assertIdFree(await store.users.get(workspaceId, body.id), 'user', body.id);
        const u = await store.users.create(workspaceId, { ...body, id: body.id ?? randomUUID() });
        return { status: 201, body: u, headers: { Location: `${BASE}/${encodeURIComponent(u.id)}` } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'users',
      summary: 'List users',
      access: 'viewer',
      query: listQuery,
      responses: { 200: { description: 'a page of users', schema: userPageSchema } },
      async handler({ query, workspaceId }) {
        return { status: 200, body: await store.users.list(workspaceId, query) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:userId`,
      tag: 'users',
      summary: 'Get a user',
      access: 'viewer',
      params: userParams,
      responses: { 200: { description: 'the user', schema: userSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        const u = await store.users.get(workspaceId, params.userId);
        if (!u) throw new NotFoundError('user', params.userId);
        return { status: 200, body: u };
      },
    }),
    route({
      method: 'patch',
      path: `${BASE}/:userId`,
      tag: 'users',
      summary: 'Change a user (null clears a field)',
      access: 'sender',
      params: userParams,
      body: userPatchSchema,
      responses: { 200: { description: 'the changed user', schema: userSchema } },
      errors: [404, 422],
      async handler({ params, body, workspaceId }) {
        if (body.phone === null || body.email === null) {
          const current = await store.users.get(workspaceId, params.userId);
          if (!current) throw new NotFoundError('user', params.userId);
          const phone = body.phone === undefined ? current.phone : body.phone;
          const email = body.email === undefined ? current.email : body.email;
          if (!phone && !email) throw new UnprocessableError([{ field: body.phone === null ? 'phone' : 'email', reason: NEEDS_CONTACT }]);
        }
        const u = await store.users.update(workspaceId, params.userId, nullsToUndefined(body));
        if (!u) throw new NotFoundError('user', params.userId);
        return { status: 200, body: u };
      },
    }),
    route({
      method: 'delete',
      path: `${BASE}/:userId`,
      tag: 'users',
      summary: 'Delete a user and their subscriptions',
      access: 'sender',
      params: userParams,
      responses: { 204: { description: 'deleted' } },
      errors: [404],
      async handler({ params, workspaceId }) {
        if (!(await store.users.delete(workspaceId, params.userId))) throw new NotFoundError('user', params.userId);
        return { status: 204 };
      },
    }),
  ];
}
