// Workspaces and their API keys: admin only.
import { NotFoundError } from '../../domain/errors';
import type { KeyService } from '../../services/tenancy/keys';
import type { WorkspaceService } from '../../services/tenancy/workspaces';
import { route, type RouteSpec } from '../route';
import { listQuery } from '../schemas/common';
import {
  keyCreatedSchema, keyCreateSchema, keyPageSchema, keyParams, workspaceCreateSchema, workspacePageSchema, workspaceParams, workspaceSchema,
} from '../schemas/workspaces';

const BASE = '/v1/workspaces';
const KEYS = `${BASE}/:workspaceId/keys`;

export function workspaceRoutes(workspaces: WorkspaceService, keys: KeyService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: BASE,
      tag: 'workspaces',
      summary: 'Create a workspace (with an opening credit balance when credits run)',
      access: 'admin',
      body: workspaceCreateSchema,
      responses: { 201: { description: 'created', schema: workspaceSchema, headers: { Location: 'the workspace URL' } } },
      errors: [409],
      async handler({ body }) {
        const w = await workspaces.create(body);
        return { status: 201, body: w, headers: { Location: `${BASE}/${encodeURIComponent(w.id)}` } };
      },
    }),
    route({
      method: 'get',
      path: BASE,
      tag: 'workspaces',
      summary: 'List workspaces',
      access: 'admin',
      query: listQuery,
      responses: { 200: { description: 'a page of workspaces', schema: workspacePageSchema } },
      async handler({ query }) {
        return { status: 200, body: await workspaces.list(query) };
      },
    }),
    route({
      method: 'get',
      path: `${BASE}/:workspaceId`,
      tag: 'workspaces',
      summary: 'Get a workspace with its balance',
      access: 'admin',
      params: workspaceParams,
      responses: { 200: { description: 'the workspace', schema: workspaceSchema } },
      errors: [404],
      async handler({ params }) {
        const w = await workspaces.get(params.workspaceId);
        if (!w) throw new NotFoundError('workspace', params.workspaceId);
        return { status: 200, body: w };
      },
    }),
    route({
      method: 'post',
      path: KEYS,
      tag: 'workspaces',
      summary: 'Create an API key; the key is in this answer only',
      access: 'admin',
      params: workspaceParams,
      body: keyCreateSchema,
      responses: { 201: { description: 'created: keep the key, it is never shown again', schema: keyCreatedSchema } },
      errors: [404],
      async handler({ params, body }) {
        const { record, key } = await keys.create(params.workspaceId, body.role, body.name);
        return { status: 201, body: { ...record, key } };
      },
    }),
    route({
      method: 'get',
      path: KEYS,
      tag: 'workspaces',
      summary: "List a workspace's keys (prefix, role, last use; revoked ones too)",
      access: 'admin',
      params: workspaceParams,
      query: listQuery,
      responses: { 200: { description: 'a page of keys', schema: keyPageSchema } },
      errors: [404],
      async handler({ params, query }) {
        return { status: 200, body: await keys.list(params.workspaceId, query) };
      },
    }),
    route({
      method: 'delete',
      path: `${KEYS}/:keyId`,
      tag: 'workspaces',
      summary: 'Revoke a key: it is refused from now on',
      access: 'admin',
      params: keyParams,
      responses: { 204: { description: 'revoked' } },
      errors: [404],
      async handler({ params }) {
        await keys.revoke(params.workspaceId, params.keyId);
        return { status: 204 };
      },
    }),
  ];
}
