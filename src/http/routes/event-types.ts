import { randomUUID } from 'node:crypto';
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import { checkEventTypeRules } from '../../domain/rules';
import { checkTemplates } from '../../domain/templates';
import type { EventType, Templates } from '../../domain/types';
import type { HttpDeps } from '../deps';
import { assertIdFree, route, type RouteSpec } from '../route';
import { listQuery, nullsToUndefined } from '../schemas/common';
import {
  eventTypeCreateSchema, eventTypePageSchema, eventTypeParams, eventTypePatchSchema, eventTypeSchema,
} from '../schemas/event-types';
import { programParams } from '../schemas/programs';

const BASE = '/v1/programs/:programId/event-types';

/** A template that does not compile is refused before anything is written. */
function assertTemplatesCompile(templates: Templates): void {
  const issues = checkTemplates(templates);
  if (issues.length) throw new UnprocessableError(issues, 'a template does not compile');
}

/** Template sets, recipient paths and rules as they will be stored: refused whole (422 naming each path) before anything is written. */
function assertRulesValid(et: Pick<EventType, 'templateSets' | 'recipientPaths' | 'rules'>): void {
  const issues = checkEventTypeRules(et);
  if (issues.length) throw new UnprocessableError(issues, 'the template sets, recipient paths or rules cannot be used');
}

const RULE_FIELDS = ['templateSets', 'recipientPaths', 'rules'] as const;

export function eventTypeRoutes({ store }: HttpDeps): RouteSpec[] {
  async function mustHaveProgram(ws: string, programId: string): Promise<void> {
    if (!(await store.programs.get(ws, programId))) throw new NotFoundError('program', programId, 'programId');
  }

  return [
    route({
      method: 'post',
      path: BASE,
      tag: 'event types',
      summary: 'Create an event type in a program, with its templates, recipient paths and rules',
      access: 'sender',
      params: programParams,
      body: eventTypeCreateSchema,
      responses: { 201: { description: 'created', schema: eventTypeSchema, headers: { Location: 'the event type URL' } } },
      errors: [404, 409, 422],
      async handler({ params, body, workspaceId }) {
        assertTemplatesCompile(body.templates);
        assertRulesValid(body);
        await mustHaveProgram(workspaceId, params.programId);
        if (body.id !== undefined) assertIdFree(await store.eventTypes.get(workspaceId, params.programId, body.id), 'event type', body.id);
        const e = await store.eventTypes.create(workspaceId, { ...body, id: body.id ?? randomUUID(), programId: params.programId });
        const location = `/v1/programs/${encodeURIComponent(e.programId)}/event-types/${encodeURIComponent(e.id)}`;
        return { status: 201, body: e, headers: { Location: location } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'event types',
      summary: "List a program's event types",
      access: 'viewer',
      params: programParams,
      query: listQuery,
      responses: { 200: { description: 'a page of event types', schema: eventTypePageSchema } },
      errors: [404],
      async handler({ params, query, workspaceId }) {
        await mustHaveProgram(workspaceId, params.programId);
        return { status: 200, body: await store.eventTypes.list(workspaceId, params.programId, query) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:eventTypeId`,
      tag: 'event types',
      summary: 'Get an event type',
      access: 'viewer',
      params: eventTypeParams,
      responses: { 200: { description: 'the event type', schema: eventTypeSchema } },
      errors: [404],
      async handler({ params, workspaceId }) {
        const e = await store.eventTypes.get(workspaceId, params.programId, params.eventTypeId);
        if (!e) throw new NotFoundError('event type', params.eventTypeId);
        return { status: 200, body: e };
      },
    }),
    route({
      method: 'patch',
      path: `${BASE}/:eventTypeId`,
      tag: 'event types',
      summary: 'Change an event type; templates are replaced per channel (null removes one), template sets, recipient paths and rules whole',
      access: 'sender',
      params: eventTypeParams,
      body: eventTypePatchSchema,
      responses: { 200: { description: 'the changed event type', schema: eventTypeSchema } },
      errors: [404, 422],
      async handler({ params, body, workspaceId }) {
        const { templates: templatePatch, ...rest } = body;
        const patch: Parameters<typeof store.eventTypes.update>[3] = nullsToUndefined(rest);
        const touchesRules = RULE_FIELDS.some((k) => k in body);
        if (templatePatch || touchesRules) {
          const current = await store.eventTypes.get(workspaceId, params.programId, params.eventTypeId);
          if (!current) throw new NotFoundError('event type', params.eventTypeId);
          if (templatePatch) {
            const templates: Templates = { ...current.templates, ...nullsToUndefined(templatePatch) };
            for (const k of Object.keys(templates) as Array<keyof Templates>) if (templates[k] === undefined) delete templates[k];
            assertTemplatesCompile(templates);
            patch.templates = templates;
          }
          // What the rules refer to is checked against the event type as it will be after the patch.
          const after = { ...current, ...patch };
          if (touchesRules) assertRulesValid(after);
        }
        const e = await store.eventTypes.update(workspaceId, params.programId, params.eventTypeId, patch);
        if (!e) throw new NotFoundError('event type', params.eventTypeId);
        return { status: 200, body: e };
      },
    }),
    route({
      method: 'delete',
      path: `${BASE}/:eventTypeId`,
      tag: 'event types',
      summary: 'Delete an event type',
      access: 'sender',
      params: eventTypeParams,
      responses: { 204: { description: 'deleted' } },
      errors: [404],
      async handler({ params, workspaceId }) {
        if (!(await store.eventTypes.delete(workspaceId, params.programId, params.eventTypeId))) throw new NotFoundError('event type', params.eventTypeId);
        return { status: 204 };
      },
    }),
  ];
}
