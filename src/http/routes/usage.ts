// Usage over an interval: the caller's workspace, one program, or one recipient (counted from its
// messages by the store), bucketed in a zone.
import { NotFoundError, ValidationError } from '../../domain/errors';
import type { UsageDimension } from '../../domain/usage';
import { parseEvery, parseInstant } from '../../domain/usage-buckets';
import { toCredits } from '../../domain/credits';
import { usageReport, type UsageReport } from '../../services/usage/report';
import type { HttpDeps } from '../deps';
import { route, type RouteSpec } from '../route';
import { usageParamsSchema, usageQuerySchema, usageReportSchema } from '../schemas/usage';
import type { z } from '../schemas/zod';

type UsageQuery = z.output<typeof usageQuerySchema>;

const DESCRIPTION =
  'Buckets from start by every in tz (a DST day has 23 or 25 hours, months end with the zone\'s month); empty buckets are present with zeros. ' +
  'Counted from hourly counters kept as statuses change: a message counts in the hour it was accepted, in the column of its current status.';

/** Counters keep milli-credits; the API speaks credits, like every other amount. */
const RECIPIENT_DESCRIPTION = DESCRIPTION.replace(
  'Counted from hourly counters kept as statuses change:',
  "Counted from the recipient's messages when asked (no counters are kept per recipient), by the counters' rules:",
);

function inCredits(r: UsageReport): UsageReport {
  return { ...r, items: r.items.map((b) => ({ ...b, creditsCharged: toCredits(b.creditsCharged), creditsRefunded: toCredits(b.creditsRefunded) })) };
}

function instant(text: string, tz: string, field: 'start' | 'end'): Date {
  const d = parseInstant(text, tz);
  if (!d) throw new ValidationError([{ field, reason: 'must be an ISO 8601 date or date-time' }]);
  return d;
}

export function usageRoutes({ store }: HttpDeps): RouteSpec[] {
  const report = async (workspaceId: string, dimension: UsageDimension, key: string, q: UsageQuery) =>
    inCredits(await usageReport(store.usage, {
      workspaceId, dimension, key,
      start: instant(q.start, q.tz, 'start'),
      end: instant(q.end, q.tz, 'end'),
      every: parseEvery(q.every)!,
      tz: q.tz, page: q.page, size: q.size, channel: q.channel, provider: q.provider,
    }));
  const responses = { 200: { description: 'the page of buckets, with the total number of buckets', schema: usageReportSchema } };
  /** One program's or one recipient's usage: 404 when it does not exist. */
  const keyed = (path: string, summary: string, dimension: 'program' | 'user', find: (workspaceId: string, id: string) => Promise<unknown>, description = DESCRIPTION) =>
    route({
      method: 'get', path, tag: 'usage', access: 'viewer', summary, description,
      params: usageParamsSchema, query: usageQuerySchema, responses, errors: [404, 503],
      async handler({ params, query, workspaceId }) {
        if (!(await find(workspaceId, params.id))) throw new NotFoundError(dimension, params.id, 'id');
        return { status: 200, body: await report(workspaceId, dimension, params.id, query) };
      },
    });

  return [
    route({
      method: 'get', path: '/v1/usage', tag: 'usage', access: 'viewer', summary: "Usage of the caller's workspace over an interval", description: DESCRIPTION,
      query: usageQuerySchema, responses, errors: [503],
      async handler({ query, workspaceId }) {
        return { status: 200, body: await report(workspaceId, 'workspace', '*', query) };
      },
    }),
    keyed('/v1/programs/:id/usage', "Usage of one program's messages over an interval", 'program', (ws, id) => store.programs.get(ws, id)),
    keyed('/v1/users/:id/usage', 'Usage of the messages to one recipient over an interval', 'user', (ws, id) => store.users.get(ws, id), RECIPIENT_DESCRIPTION),
  ];
}
