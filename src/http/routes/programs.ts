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
      body: programCreateSchema,
      responses: { 201: { description: 'created', schema: programSchema, headers: { Location: 'the program URL' } } },
      errors: [409],
      async handler({ body }) {
        if (body.id !== undefined) assertIdFree(await store.programs.get(body.id), 'program', body.id);
        const p = await store.programs.create({ ...body, id: body.id ?? randomUUID() });
        return { status: 201, body: p, headers: { Location: `${BASE}/${encodeURIComponent(p.id)}` } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'programs',
      summary: 'List programs',
      query: listQuery,
      responses: { 200: { description: 'a page of programs', schema: programPageSchema } },
      async handler({ query }) {
        return { status: 200, body: await store.programs.list(query) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:programId`,
      tag: 'programs',
      summary: 'Get a program',
      params: programParams,
      responses: { 200: { description: 'the program', schema: programSchema } },
      errors: [404],
      async handler({ params }) {
        const p = await store.programs.get(params.programId);
        if (!p) throw new NotFoundError('program', params.programId);
        return { status: 200, body: p };
      },
    }),
    route({
      method: 'patch',
      path: `${BASE}/:programId`,
      tag: 'programs',
      summary: 'Change a program',
      params: programParams,
      body: programPatchSchema,
      responses: { 200: { description: 'the changed program', schema: programSchema } },
      errors: [404],
      async handler({ params, body }) {
        const p = await store.programs.update(params.programId, nullsToUndefined(body));
        if (!p) throw new NotFoundError('program', params.programId);
        return { status: 200, body: p };
      },
    }),
    route({
      method: 'delete',
      path: `${BASE}/:programId`,
      tag: 'programs',
      summary: 'Delete a program with its event types and subscriptions',
      params: programParams,
      responses: { 204: { description: 'deleted' } },
      errors: [404],
      async handler({ params }) {
        if (!(await store.programs.delete(params.programId))) throw new NotFoundError('program', params.programId);
        return { status: 204 };
      },
    }),
  ];
}
