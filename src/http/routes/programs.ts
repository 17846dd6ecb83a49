import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../domain/errors';
import { assertIdFree, route, type RouteSpec } from '../route';
import type { HttpDeps } from '../deps';
import { listQuery, nullsToUndefined } from '../schemas/common';
import { programCreateSchema, programPageSchema, programParams, programPatchSchema, programSchema } from '../schemas/programs';

const BASE = '/v1/programs';

export function programRoutes({ store }: HttpDeps): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: BASE,
      tag: 'programs',
      summary: 'Create a program',
      access: 'sender',
      body: programCreateSchema,
      responses: { 201: { description: 'created', schema: programSchema, headers: { Location: 'the program URL' } } },
      errors: [409],
      async handler({ body, workspaceId }) {
        if (body.id !== undefined) assertIdFree(await store.programs.get(workspaceId, body.id), 'program', body.id);
        const p = await store.programs.create(workspaceId, { ...body, id: body.id ?? randomUUID() });
        return { status: 201, body: p, headers: { Location: `${BASE}/${encodeURIComponent(p.id)}` } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'programs',
      summary: 'List programs',
      access: 'viewer',
      query: listQuery,
      responses: { 200: { description: 'a page of programs', schema: programPageSchema } },
      async handler({ query, workspaceId }) {
        return { status: 200, body: await store.programs.list(workspaceId, query) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:programId`,
      tag: 'programs',
      summary: 'Get a program',
      access: 'viewer',
      params: programParams,
      responses: { 200: { description: 'the program', schema: programSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        const p = await store.programs.get(workspaceId, params.programId);
        if (!p) throw new NotFoundError('program', params.programId);
        return { status: 200, body: p };
      },
    }),
    route({
      method: 'patch',
      path: `${BASE}/:programId`,
      tag: 'programs',
      summary: 'Change a program',
      access: 'sender',
      params: programParams,
      body: programPatchSchema,
      responses: { 200: { description: 'the changed program', schema: programSchema } },
      errors: [404],
      async handler({ params, body, workspaceId }) {
        const p = await store.programs.update(workspaceId, params.programId, nullsToUndefined(body));
        if (!p) throw new NotFoundError('program', params.programId);
        return { status: 200, body: p };
      },
    }),
    route({
      method: 'delete',
      path: `${BASE}/:programId`,
      tag: 'programs',
      summary: 'Delete a program with its event types and subscriptions',
      access: 'sender',
      params: programParams,
      responses: { 204: { description: 'deleted' } },
      errors: [404],
      async handler({ params, workspaceId }) {
        if (!(await store.programs.delete(workspaceId, params.programId))) throw new NotFoundError('program', params.programId);
        return { status: 204 };
      },
    }),
  ];
}
