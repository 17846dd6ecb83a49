// The OpenAPI 3.0 document, generated from the route declarations and their zod schemas, then
// made exact where the generator is loose: typed nullables, PATCH bodies that must name a field,
// an example error body per status, and links from a created resource to its own operations.
import { OpenAPIRegistry, OpenApiGeneratorV3, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { rolesFor } from './access';
import { ERROR_TEXT, errorExample } from './error-examples';
import type { DocumentedRoute } from './route';
import { errorBodySchema } from './schemas/common';
import type { z } from './schemas/zod';

export const OPENAPI_VERSION = '3.0.3';

type Json = Record<string, any>;

const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** A stable operationId: `get_v1_programs_programId_event_types`. */
export const operationIdOf = (r: { method: string; path: string }): string =>
  [r.method, ...r.path.split(/[/:{}-]+/).filter(Boolean)].join('_') || r.method;

/** Error statuses an operation can answer: 400 and 500 always, 413/415 with a body, and its own. */
function errorStatuses(spec: DocumentedRoute): number[] {
  const body = spec.body ? [413, ...(spec.anyContentType ? [] : [415])] : [];
  const gated = spec.access !== 'open' ? [401, 403, 429] : [];
  return [...new Set([400, 500, ...gated, ...body, ...(spec.errors ?? [])])].sort((a, b) => a - b);
}

function responsesOf(spec: DocumentedRoute): Record<string, ResponseConfig> {
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}),
      ...(r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) } : {}),
    };
  }
  for (const status of errorStatuses(spec)) {
    const example = { error: spec.errorExamples?.[status] ?? errorExample(spec, status) };
    responses[String(status)] = { description: ERROR_TEXT[status] ?? 'error', content: { 'application/json': { schema: errorBodySchema, example } } };
  }
  return responses;
}

/** The security scheme every gated operation names. */
export const BEARER_SCHEME = 'bearerAuth';

/** Describes the routes in the OpenAPI registry, from the same schemas that validate them. */
export function documentRoutes(registry: OpenAPIRegistry, routes: DocumentedRoute[]): void {
  registry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `Authorization: Bearer <key>` (never in the URL). Roles: viewer < sender < admin.',
  });
  for (const spec of routes) {
    const open = spec.access === 'open';
    registry.registerPath({
      method: spec.method,
      path: openApiPath(spec.path),
      operationId: operationIdOf(spec),
      summary: spec.summary,
      description: [spec.description, `Roles: ${open ? 'open (no key needed)' : rolesFor(spec.access).join(', ')}.`].filter(Boolean).join(' '),
      tags: [spec.tag],
      security: open ? [] : [{ [BEARER_SCHEME]: [] }],
      'x-roles': open ? [] : rolesFor(spec.access),
      request: {
        ...(spec.params ? { params: spec.params as z.AnyZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.AnyZodObject } : {}),
        ...(spec.headers ? { headers: spec.headers as z.AnyZodObject } : {}),
        ...(spec.body ? { body: { required: true, content: { 'application/json': { schema: spec.body as z.ZodTypeAny } } } } : {}),
      },
      responses: responsesOf(spec),
    });
  }
}

const isBareNullable = (s: unknown): boolean => !!s && typeof s === 'object' && Object.keys(s).length === 1 && (s as Json).nullable === true;

/**
 * Rewrites the generator's untyped nullables into typed ones: `allOf [$ref, {nullable}]` becomes the
 * referenced schema with nullable; a `{nullable}` branch of an anyOf becomes "null of the siblings'
 * type"; a lone `{nullable}` (zod's unknown) becomes `{}`, any value.
 */
function typeNullables(node: unknown, components: Json): unknown {
  if (Array.isArray(node)) return node.map((n) => typeNullables(n, components));
  if (!node || typeof node !== 'object') return node;
  if (isBareNullable(node)) return {};
  let o = node as Json;
  if (Array.isArray(o.allOf) && o.allOf.length === 2 && o.allOf[0].$ref && isBareNullable(o.allOf[1])) {
    const { allOf, ...rest } = o;
    o = { ...(components[String(allOf[0].$ref).split('/').pop()!] as Json), ...rest, nullable: true };
  } else if (o.nullable === true && Array.isArray(o.enum) && !o.enum.includes(null)) {
    // OpenAPI 3.0.3: a nullable enum lists null among its values.
    o = { ...o, enum: [...o.enum, null] };
  } else if (Array.isArray(o.anyOf) && o.anyOf.some(isBareNullable)) {
    const others = o.anyOf.filter((b: unknown) => !isBareNullable(b));
    const type = others.find((b: Json) => typeof b.type === 'string')?.type ?? 'object';
    o = { ...o, anyOf: [...others, { type, nullable: true, enum: [null] }] };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeNullables(v, components)]));
}

/** What a PATCH body must hold: at least one field (route.ts refuses `{}`). */
function requireAFieldInPatches(doc: Json): void {
  for (const ops of Object.values<Json>(doc.paths ?? {})) {
    const schema = ops.patch?.requestBody?.content?.['application/json']?.schema as Json | undefined;
    if (!schema) continue;
    const target = schema.$ref ? doc.components.schemas[String(schema.$ref).split('/').pop()!] : schema;
    if (target?.type === 'object') target.minProperties = 1;
  }
}

/** Links from each 201 (a created resource) to the operations on `<path>/{param}`, fed with the new id. */
function linkCreatedResources(doc: Json): void {
  for (const [path, ops] of Object.entries<Json>(doc.paths ?? {})) {
    const created = ops.post?.responses?.['201'];
    if (!created) continue;
    const itemPath = Object.keys(doc.paths).find((p) => p.startsWith(`${path}/{`) && /^\/\{[^}/]+\}$/.test(p.slice(path.length)));
    if (!itemPath) continue;
    const param = itemPath.slice(path.length + 2, -1);
    const links: Json = {};
    for (const [method, op] of Object.entries<Json>(doc.paths[itemPath])) {
      links[`${method}_created`] = { operationId: op.operationId, parameters: { [param]: '$response.body#/id' } };
    }
    created.links = links;
  }
}

export function buildOpenApiDocument(routes: DocumentedRoute[], info: { version?: string } = {}): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  documentRoutes(registry, routes);
  const doc = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Herald',
      version: info.version ?? '0.1.0',
      description:
        'Multi-channel notification dispatcher. Errors always have the shape ' +
        '{"error": {"code", "message", "issues": [{"field", "reason"}]}}. An unknown id in the path is 404; ' +
        'an unknown id in the body is 422 naming the field.',
    },
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
  }) as unknown as Json;
  // Twice: a schema inlined in the first pass is typed in the second.
  const once = typeNullables(doc, (doc.components?.schemas ?? {}) as Json) as Json;
  const exact = typeNullables(once, (once.components?.schemas ?? {}) as Json) as Json;
  requireAFieldInPatches(exact);
  linkCreatedResources(exact);
  return exact;
}
