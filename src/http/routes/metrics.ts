// GET /metrics in the Prometheus text format. On the API port only loopback callers get it (the
// API may face the internet); a worker's own port is meant for the scraper and answers anyone.
import { Readable } from 'node:stream';
import type { Registry } from 'prom-client';
import { HttpError } from '../errors';
import { route, type RouteSpec } from '../route';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

export function metricsRoutes(registry: Registry, opts: { loopbackOnly: boolean }): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/metrics', tag: 'meta',
      summary: opts.loopbackOnly ? 'Prometheus metrics of this process (loopback callers only)' : 'Prometheus metrics of this process',
      responses: { 200: { description: 'Prometheus text exposition format' } },
      errors: opts.loopbackOnly ? [403] : [],
      async handler({ req }) {
        if (opts.loopbackOnly && !isLoopback(req.socket.remoteAddress)) {
          throw new HttpError(403, 'FORBIDDEN', '/metrics answers loopback callers only on the API port; scrape a worker port or run the scraper beside the server');
        }
        return { status: 200, headers: { 'Content-Type': registry.contentType }, stream: Readable.from([await registry.metrics()]) };
      },
    }),
  ];
}
