// The OpenAPI 3.0 document, generated from the route declarations and their zod schemas.
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { documentRoutes, type DocumentedRoute } from './route';

export const OPENAPI_VERSION = '3.0.3';

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
        '{"error": {"code", "message", "issues": [{"field", "reason"}]}}.',
    },
    tags: [
      { name: 'notifications' },
      { name: 'programs' },
      { name: 'event types' },
      { name: 'users' },
      { name: 'subscriptions' },
      { name: 'logs' },
      { name: 'providers' },
      { name: 'credits' },
      { name: 'webhooks' },
      { name: 'legacy' },
      { name: 'meta' },
    ],
  });
  return doc as unknown as Record<string, unknown>;
}
