// POST /: the original system's interface, which must keep working unchanged.
import { HeraldError, UnprocessableError } from '../../domain/errors';
import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { inLegacyNames, legacyBodySchema, legacyRequest } from '../schemas/legacy';
import { ACCEPTED_RESPONSE, acceptAndReply, assertWindowOrder } from './notifications';

export function legacyRoutes(deps: HttpDeps): RouteSpec[] {
  const zone = deps.config.legacyTimezone;
  return [
    route({
      method: 'post',
      path: '/',
      tag: 'legacy',
      summary: "The original system's event intake (MM/DD/YYYY HH:mm times, snake_case ids)",
      description:
        `Times are wall times in ${zone}. Fields other than start_time, end_time, program_id, event_type_id and data ` +
        'become the event data (a data object is merged in). A window that closed before it arrived is ' +
        (deps.config.legacyPastWindow === 'reanchor' ? 'dispatched now with the default validity, with a warning.' : 'refused with 422.') +
        ' The body is read as JSON whatever the Content-Type.',
      // Open only where the network is trusted (HERALD_LEGACY_OPEN): then it acts in the default workspace.
      access: deps.config.auth.legacyOpen ? 'open' : 'sender',
      body: legacyBodySchema,
      anyContentType: true,
      responses: ACCEPTED_RESPONSE,
      errors: [404, 422, 503],
      async handler({ body, res, workspaceId }) {
        const parsed = legacyRequest(body, deps.config, 'legacy', workspaceId);
        // The shape was right (the schema passed): a day the month lacks is unusable, not malformed.
        if (!parsed.ok) throw new UnprocessableError(parsed.issues, 'the time window cannot be used');
        assertWindowOrder(parsed.request.startTime, parsed.request.endTime, 'end_time');
        try {
          return await acceptAndReply(deps, parsed.request, res);
        } catch (e) {
          if (e instanceof HeraldError) e.issues.splice(0, e.issues.length, ...inLegacyNames(e.issues));
          throw e;
        }
      },
    }),
  ];
}
