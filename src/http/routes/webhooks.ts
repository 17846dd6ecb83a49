// Delivery reports: POST (or GET, for vendors that report with it) /v1/webhooks/<id> and
// /v1/webhooks/<type>/<id>. The body is read raw here: signatures are computed over it.
import express, { type Request, type Response } from 'express';
import type { HeraldConfig } from '../../config';
import type { Logger } from '../../log/logger';
import { isEndpointId } from '../../domain/webhooks';
import { ProviderError, type Provider, type WebhookRequest } from '../../providers/types';
import type { DeliveryReports } from '../../services/delivery-reports';
import type { DocumentedRoute } from '../route';
import { z } from '../schemas/zod';

export interface WebhookDeps {
  config: Pick<HeraldConfig, 'publicUrl' | 'http'>;
  logger: Logger;
  reports: DeliveryReports;
  /** The provider instance with this id, or undefined when none is configured. */
  provider(id: string): Provider | undefined;
}

function fail(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/** The full URL the provider called, as it signed it: Herald's public URL when configured. */
export function publicRequestUrl(req: Request, publicUrl: string | undefined): string {
  if (publicUrl) return `${publicUrl.replace(/\/+$/, '')}${req.originalUrl}`;
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`;
}

/** JSON or form body by Content-Type, else the query string's parameters (GET reports). */
function parseBody(req: Request, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  const type = (req.get('content-type') ?? '').toLowerCase();
  if (text.trim() === '') return { ...(req.query as Record<string, unknown>) };
  if (type.includes('json') || (!type.includes('form') && /^\s*[[{]/.test(text))) {
    try {
      return JSON.parse(text);
    } catch {
      throw new ProviderError('REJECTED', 'the body is not valid JSON');
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

const reportAnswer = z.object({
  received: z.number().int().openapi({ description: 'status reports in the request' }),
  applied: z.number().int().openapi({ description: 'reports that moved a message (unknown ids and stale reports are ignored)' }),
});

/** The delivery-report operations, for the OpenAPI document (the router below parses the raw body itself). */
export function webhookDocs(): DocumentedRoute[] {
  // Anything but `we_...`: those paths are the client's webhook endpoints (routes/webhook-endpoints.ts).
  const notEndpointId = '^([^w].*|w([^e].*)?|we([^_].*)?)$';
  const byId = z.object({
    providerId: z.string().openapi({ description: "the provider instance id (`providers.sms[].id`); never starts with `we_` (the client's webhook endpoints)", pattern: notEndpointId }),
  });
  const byType = byId.extend({ type: z.string().openapi({ description: 'the provider type; must match the instance' }) });
  const description =
    'A provider posts delivery reports here, in its own format (JSON or form; GET for vendors that report with it). ' +
    'Signed vendors are verified (403 BAD_SIGNATURE otherwise); see docs/providers.md for each vendor.';
  return (['/v1/webhooks/:providerId', '/v1/webhooks/:type/:providerId'] as const).flatMap((path) =>
    (['post', 'get'] as const).map(
      (method): DocumentedRoute => ({
        method,
        path,
        tag: 'webhooks',
        // Keyless: each vendor's signature is what is checked.
        access: 'open',
        summary: `Delivery report from a provider (${method.toUpperCase()})`,
        description,
        params: path.includes(':type') ? byType : byId,
        ...(method === 'post' ? { body: z.record(z.unknown()).openapi({ description: "the vendor's report, unchanged" }), anyContentType: true } : {}),
        responses: { 200: { description: 'report read', schema: reportAnswer } },
        errors: [403, 404],
      }),
    ),
  );
}

export function webhookRouter(deps: WebhookDeps): express.Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: deps.config.http.bodyLimit });
  // /v1/webhooks/we_... are the client's own endpoints (routes/webhook-endpoints.ts), never a provider:
  // config refuses provider ids starting with `we_`, so the first segment alone decides.
  // Only `POST /we_...` is left here, answered 404 (no provider has such an id) rather than a 405.
  router.use((req, res, next) => {
    const segments = req.path.split('/').filter(Boolean);
    const clientRoute = isEndpointId(segments[0] ?? '') && !(req.method === 'POST' && segments.length === 1);
    if (clientRoute) return next('router');
    // A provider's paths take GET and POST only.
    if (segments.length >= 1 && segments.length <= 2 && !['GET', 'HEAD', 'POST'].includes(req.method)) {
      res.setHeader('Allow', 'GET, HEAD, POST');
      return fail(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.baseUrl}${req.path}; use GET, HEAD, POST`);
    }
    return next();
  });

  async function handle(req: Request, res: Response): Promise<void> {
    const { providerId, type } = req.params as { providerId: string; type?: string };
    const provider = deps.provider(providerId);
    if (!provider || (type !== undefined && type !== provider.type)) {
      return fail(res, 404, 'NOT_FOUND', `no provider '${providerId}'${type ? ` of type '${type}'` : ''}`);
    }
    if (!provider.parseDeliveryReport) return fail(res, 404, 'NOT_FOUND', `provider '${providerId}' (${provider.type}) takes no delivery reports`);
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let reports;
    try {
      const hook: WebhookRequest = { url: publicRequestUrl(req, deps.config.publicUrl), headers: req.headers, body: parseBody(req, rawBody), rawBody };
      reports = provider.parseDeliveryReport(hook);
    } catch (e) {
      if (e instanceof ProviderError && e.code === 'BAD_SIGNATURE') {
        deps.logger.warn('delivery report refused: bad signature', { provider: providerId, reason: e.message });
        return fail(res, 403, 'BAD_SIGNATURE', 'the request is not signed by the provider');
      }
      if (e instanceof ProviderError) {
        deps.logger.warn('delivery report refused: malformed', { provider: providerId, reason: e.message });
        return fail(res, 400, 'VALIDATION_FAILED', e.message);
      }
      throw e;
    }
    let applied = 0;
    for (const r of reports) if ((await deps.reports.apply(providerId, r)).result === 'applied') applied++;
    res.status(200).json({ received: reports.length, applied });
  }

  for (const path of ['/:providerId', '/:type/:providerId']) {
    router.post(path, raw, handle);
    router.get(path, handle);
  }
  return router;
}
