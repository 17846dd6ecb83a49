// The HTTP API: /v1 resources, the legacy POST /, health, the OpenAPI document and /docs.
import express from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Logger } from '../log/logger';
import type { HttpDeps } from './deps';
import { createKeyService } from '../services/tenancy/keys';
import { createWorkspaceService } from '../services/tenancy/workspaces';
import { createGate } from './access';
import { errorHandler, notFoundHandler, pathOf } from './errors';
import { createRateLimit } from './rate-limit';
import type { RequestTraffic } from './traffic';
import { buildOpenApiDocument } from './openapi';
import { directRoute } from './direct-route';
import { fastJson } from './fast-json';
import { mountRoutes, routeHandlers, type RouteSpec } from './route';
import { eventTypeRoutes } from './routes/event-types';
import { legacyRoutes } from './routes/legacy';
import { logRoutes } from './routes/logs';
import { metaRoutes } from './routes/meta';
import { notificationRoutes } from './routes/notifications';
import { programRoutes } from './routes/programs';
import { smsRoutes } from './routes/sms';
import { subscriptionRoutes } from './routes/subscriptions';
import { userRoutes } from './routes/users';
import { usageRoutes } from './routes/usage';
import { exportRoutes } from './routes/exports';
import { sheetExportRoutes } from './routes/sheet-exports';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';
import { workspaceRoutes } from './routes/workspaces';
import { createDashboard } from './dashboard';
import { webhookEndpointRoutes } from './routes/webhook-endpoints';
import { createWebhookEndpoints } from '../services/webhooks';

export type { HttpDeps } from './deps';

/** Counts each request for the fan-out (it yields while requests are served); with debug on, one line per answered request. */
function requestLog(logger: Logger, traffic: RequestTraffic | undefined): express.RequestHandler {
  return (req, res, next) => {
    traffic?.seen(res);
    // Checked per request (the level can change at run time); off, no listener and no line are made.
    if (!logger.isLevelEnabled('debug')) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const notificationId = res.locals.notificationId as string | undefined;
      const path = pathOf(req);
      logger.debug(`${req.method} ${path} ${res.statusCode}`, {
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
        ...(notificationId ? { notificationId } : {}),
      });
    });
    next();
  };
}

/** Every route Herald itself serves (not the extra routers), in one list. */
export function heraldRoutes(deps: HttpDeps, openapiDocument: () => object): RouteSpec[] {
  const keys = deps.keys ?? createKeyService({ store: deps.store, config: deps.config });
  const workspaces = createWorkspaceService({ store: deps.store, accounts: deps.accounts });
  return [
    ...workspaceRoutes(workspaces, keys),
    ...notificationRoutes(deps),
    ...programRoutes(deps),
    ...eventTypeRoutes(deps),
    ...userRoutes(deps),
    ...subscriptionRoutes(deps),
    ...logRoutes(deps),
    ...smsRoutes(deps),
    ...usageRoutes(deps),
    ...exportRoutes(deps),
    ...sheetExportRoutes(deps),
    ...webhookEndpointRoutes(deps.webhookEndpoints ?? createWebhookEndpoints({ store: deps.store, config: deps.config })),
    ...legacyRoutes(deps),
    ...metaRoutes(deps, openapiDocument),
    ...(deps.readiness ? healthRoutes(deps.readiness) : []),
    ...(deps.metrics ? metricsRoutes(deps.metrics, { loopbackOnly: true }) : []),
  ];
}

export function createApp(input: HttpDeps): express.Express {
  const deps: HttpDeps = { ...input, keys: input.keys ?? createKeyService({ store: input.store, config: input.config }) };
  const app = express();
  app.disable('x-powered-by');
  const log = requestLog(deps.logger, deps.traffic);
  app.use(log);
  const rateLimit = createRateLimit({ repo: deps.store.rateLimits, ...deps.config.rateLimit });
  const gate = createGate(deps.keys!, rateLimit);
  const json = express.json({ limit: deps.config.http.bodyLimit, type: ['application/json', 'application/*+json'] });

  // Extra routers (webhooks, providers admin) get the request body unparsed: they choose their own parser.
  for (const extra of deps.extraRoutes ?? []) app.use(`/v1${extra.path.startsWith('/') ? '' : '/'}${extra.path}`, ...gate(extra.access), extra.router);

  let document: Record<string, unknown> | undefined;
  const routes = [...heraldRoutes(deps, () => document ?? {}), ...(deps.extraSpecs ?? [])];
  document = buildOpenApiDocument([...routes, ...(deps.extraRoutes ?? []).flatMap((e) => e.docs ?? [])]);

  // POST /v1/notifications, most of the traffic, straight to its handlers (direct-route.ts): none of the other
  // layers (the extra routers under /v1/webhooks, the dashboard's /dashboard and GET /) answers it, and the
  // router's matching and nesting cost as much as the route's own work. Its JSON body is read by fastJson
  // (express.json for anything but the plain case). It stays mounted in the router below too, for the URLs
  // the direct path leaves to express (an absolute URL, say).
  const accept = routes.find((r) => r.method === 'post' && r.path === '/v1/notifications');
  if (accept) directRoute(app, 'POST', accept.path, [log, fastJson(json, deps.config.http.bodyLimit), ...routeHandlers(accept, gate, express.json({ limit: deps.config.http.bodyLimit, type: () => true }))], errorHandler(deps.logger));

  // Before the API: `/` is the dashboard for a browser that prefers HTML (JSON clients fall through to the API's index).
  if (deps.dashboard) app.use(createDashboard({ ...deps.dashboard, store: deps.store, config: deps.config, logger: deps.logger, keys: deps.keys!, notifications: deps.notifications }));

  const router = express.Router();
  router.use(json);
  mountRoutes(router, routes, deps.config.http.bodyLimit, gate);
  app.use(router);
  // persistAuthorization: the key given to Authorize survives a reload of /docs.
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Herald API', swaggerOptions: { persistAuthorization: true } }));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
