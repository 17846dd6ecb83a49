// GET /metrics in the Prometheus text format. On the API port only local callers or an admin key get
// it (the API may face the internet); a worker's own port is meant for the scraper and answers anyone.
import { Readable } from 'node:stream';
import type { Registry } from 'prom-client';
import { isLocalClient } from '../access';
import { HttpError } from '../errors';
import { route, type RouteSpec } from '../route';


export function metricsRoutes(registry: Registry, opts: { loopbackOnly: boolean }): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/metrics', tag: 'meta', access: 'open',
      summary: opts.loopbackOnly ? 'Prometheus metrics of this process (local callers or an admin key)' : 'Prometheus metrics of this process',
      responses: { 200: { description: 'Prometheus text exposition format' } },
      errors: opts.loopbackOnly ? [403] : [],
      async handler({ req, principal }) {
        if (opts.loopbackOnly && !isLocalClient(req) && principal?.role !== 'admin') {
          throw new HttpError(403, 'FORBIDDEN', '/metrics on the API port answers local callers or an admin key; scrape a worker port or send an admin key');
        }
        return { status: 200, headers: { 'Content-Type': registry.contentType }, stream: Readable.from([await registry.metrics()]) };
      },
    }),
  ];
}
