// Campaigns: create with recipients, list, read with counts, run/pause/resume/cancel, their
// messages, what they will cost, and their usage. Writing needs a sender key, reading a viewer's.
import { toCredits } from '../../domain/credits';
import { NotFoundError, ValidationError } from '../../domain/errors';
import { parseEvery, parseInstant } from '../../domain/usage-buckets';
import type { CampaignService } from '../../services/campaigns';
import { usageReport } from '../../services/usage/report';
import type { Store } from '../../store/store';
import { zodIssues } from '../errors';
import { route, type RouteSpec } from '../route';
import {
  campaignCreateSchema, campaignEstimateSchema, campaignListQuery, campaignMessagesQuery, campaignPageSchema, campaignParams, campaignRunSchema, campaignViewSchema,
} from '../schemas/campaigns';
import { messagePageSchema } from '../schemas/notifications';
import { usageQuerySchema, usageReportSchema } from '../schemas/usage';

const BASE = '/v1/campaigns';
const view = { 200: { description: 'the campaign, with its messages per status, segments and credits spent', schema: campaignViewSchema } };

function instant(text: string, tz: string, field: 'start' | 'end'): Date {
  const d = parseInstant(text, tz);
  if (!d) throw new ValidationError([{ field, reason: 'must be an ISO 8601 date or date-time' }]);
  return d;
}

export function campaignRoutes(campaigns: CampaignService, store: Store): RouteSpec[] {
  const action = (name: 'pause' | 'resume' | 'cancel', summary: string, description: string) =>
    route({
      method: 'post', path: `${BASE}/:id/${name}`, tag: 'campaigns', access: 'sender', summary, description,
      params: campaignParams, responses: view, errors: [404, 409, 503],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await campaigns[name](workspaceId, params.id) };
      },
    });
  return [
    route({
      method: 'post', path: BASE, tag: 'campaigns', access: 'sender',
      summary: 'Create a campaign: one SMS text (a template over each recipient\'s data) to a list of numbers',
      description: 'Numbers are normalised to E.164 (national ones in the default region); a number twice is one recipient. With sendAt it is scheduled and goes out by itself; without, it is a draft until POST .../run.',
      body: campaignCreateSchema, responses: { 201: { description: 'the campaign', schema: campaignViewSchema } }, errors: [409, 422, 503],
      async handler({ body, workspaceId }) {
        const c = await campaigns.create(workspaceId, { ...body, message: (body.message ?? body.template)! });
        return { status: 201, body: c, headers: { Location: `${BASE}/${c.id}` } };
      },
    }),
    route({
      method: 'get', path: BASE, tag: 'campaigns', access: 'viewer', summary: "The workspace's campaigns, oldest first",
      query: campaignListQuery, responses: { 200: { description: 'a page of campaigns', schema: campaignPageSchema } }, errors: [503],
      async handler({ query, workspaceId }) {
        const { status, due, limit, offset } = query;
        return { status: 200, body: await campaigns.list(workspaceId, { status, dueBefore: due === 'true' ? new Date() : undefined }, { limit, offset }) };
      },
    }),
    route({
      method: 'get', path: `${BASE}/:id`, tag: 'campaigns', access: 'viewer', summary: 'A campaign with its messages per status, segments and credits spent',
      params: campaignParams, responses: view, errors: [404, 503],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await campaigns.get(workspaceId, params.id) };
      },
    }),
    route({
      method: 'post', path: `${BASE}/:id/run`, tag: 'campaigns', access: 'sender', summary: 'Send a draft or scheduled campaign now, optionally through a named provider',
      description: 'Optional JSON body {provider?, strictProvider?}: the provider for this run (nexmo and at are aliases of vonage and africastalking). ' +
        'A paused campaign resumes. Failover to another provider applies unless strictProvider.',
      params: campaignParams, responses: view, errors: [404, 409, 415, 422, 503],
      async handler({ params, req, workspaceId }) {
        const parsed = campaignRunSchema.safeParse(req.body ?? {});
        if (!parsed.success) throw new ValidationError(zodIssues(parsed.error));
        return { status: 200, body: await campaigns.run(workspaceId, params.id, parsed.data) };
      },
    }),
    action('pause', 'Pause a campaign: no more of its messages reach a provider (within seconds)', 'Its unsent messages stay unsent until resume.'),
    action('resume', 'Resume a paused campaign where it stopped', 'Messages held by the pause go out; none is sent twice.'),
    action('cancel', 'Cancel a campaign: its unsent messages end cancelled (and are refunded)', 'Messages already with a provider keep their status.'),
    route({
      method: 'get', path: `${BASE}/:id/messages`, tag: 'campaigns', access: 'viewer', summary: "A campaign's messages",
      params: campaignParams, query: campaignMessagesQuery, responses: { 200: { description: 'a page of messages', schema: messagePageSchema } }, errors: [404, 503],
      async handler({ params, query, workspaceId }) {
        const { status, limit, offset } = query;
        return { status: 200, body: await campaigns.messages(workspaceId, params.id, { status }, { limit, offset }) };
      },
    }),
    route({
      method: 'get', path: `${BASE}/:id/estimate`, tag: 'campaigns', access: 'viewer', summary: 'Messages, segments and credits a campaign will cost, and whether the balance covers it',
      params: campaignParams, responses: { 200: { description: 'the estimate', schema: campaignEstimateSchema } }, errors: [404, 503],
      async handler({ params, workspaceId }) {
        return { status: 200, body: await campaigns.estimate(workspaceId, params.id) };
      },
    }),
    route({
      method: 'get', path: `${BASE}/:id/usage`, tag: 'campaigns', access: 'viewer', summary: "Usage of one campaign's messages over an interval",
      params: campaignParams, query: usageQuerySchema, responses: { 200: { description: 'the page of buckets', schema: usageReportSchema } }, errors: [404, 503],
      async handler({ params, query: q, workspaceId }) {
        const c = await store.campaigns.get(params.id);
        if (!c || c.workspaceId !== workspaceId) throw new NotFoundError('campaign', params.id);
        const body = await usageReport(store.usage, {
          workspaceId, dimension: 'campaign', key: c.id, start: instant(q.start, q.tz, 'start'), end: instant(q.end, q.tz, 'end'),
          every: parseEvery(q.every)!, tz: q.tz, page: q.page, size: q.size, channel: q.channel, provider: q.provider,
        });
        // Counters keep milli-credits; the API speaks credits.
        return { status: 200, body: { ...body, items: body.items.map((b) => ({ ...b, creditsCharged: toCredits(b.creditsCharged), creditsRefunded: toCredits(b.creditsRefunded) })) } };
      },
    }),
  ];
}
