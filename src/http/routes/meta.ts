// Health, the OpenAPI document and a small index at GET /.
import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { z } from '../schemas/zod';

const healthSchema = z.object({ status: z.enum(['ok', 'unavailable']), store: z.boolean() }).openapi('Health');

export function metaRoutes({ store }: HttpDeps, openapiDocument: () => object): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/health',
      tag: 'meta',
      access: 'open',
      summary: 'Liveness and store reachability',
      responses: {
        200: { description: 'the store answers', schema: healthSchema },
        503: { description: 'the store does not answer', schema: healthSchema },
      },
      async handler() {
        const ok = await store.ping().catch(() => false);
        const headers: Record<string, string> = ok ? {} : { 'Retry-After': '5' };
        return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'unavailable', store: ok }, headers };
      },
    }),
    route({
      method: 'get',
      path: '/openapi.json',
      tag: 'meta',
      access: 'open',
      summary: 'This OpenAPI 3.0 document',
      responses: { 200: { description: 'the OpenAPI document', schema: z.record(z.unknown()) } },
      async handler() {
        return { status: 200, body: openapiDocument() };
      },
    }),
    route({
      method: 'get',
      path: '/',
      tag: 'meta',
      access: 'open',
      summary: 'Where things are',
      responses: { 200: { description: 'links', schema: z.object({ name: z.string(), docs: z.string(), openapi: z.string(), health: z.string() }) } },
      async handler() {
        return { status: 200, body: { name: 'herald', docs: '/docs', openapi: '/openapi.json', health: '/health' } };
      },
    }),
  ];
}
