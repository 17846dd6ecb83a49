// Liveness and readiness, on the API server and on every worker's own port.
import type { ReadinessProbe } from '../../services/health';
import { route, type RouteSpec } from '../route';
import { z } from '../schemas/zod';

const liveSchema = z.object({ status: z.literal('ok') }).openapi('Live');
const state = z.enum(['up', 'down']);
const readySchema = z
  .object({ status: z.enum(['ready', 'unavailable']), checks: z.object({ store: state, bus: state, providers: state }), down: z.array(z.string()) })
  .openapi('Ready');

export function healthRoutes(readiness: ReadinessProbe): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/health/live', tag: 'meta', access: 'open', summary: 'Liveness: answers while the process runs (checks nothing else)',
      responses: { 200: { description: 'the process runs', schema: liveSchema } },
      async handler() {
        return { status: 200, body: { status: 'ok' } };
      },
    }),
    route({
      method: 'get', path: '/health/ready', tag: 'meta', access: 'open', summary: 'Readiness: the store and the bus answer and the providers are loaded',
      responses: {
        200: { description: 'ready to work', schema: readySchema },
        503: { description: 'a part is down; `down` names which', schema: readySchema },
      },
      async handler() {
        const r = await readiness();
        return {
          status: r.ready ? 200 : 503,
          body: { status: r.ready ? 'ready' : 'unavailable', checks: r.checks, down: r.down },
          headers: r.ready ? undefined : { 'Retry-After': '5' },
        };
      },
    }),
  ];
}
