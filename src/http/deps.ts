// What the HTTP layer needs from the rest of Herald.
import type express from 'express';
import type { Registry } from 'prom-client';
import type { ReadinessProbe } from '../services/health';
import type { HeraldConfig } from '../config';
import type { Logger } from '../log/logger';
import type { NotificationService } from '../services/notification-service';
import type { KeyService } from '../services/tenancy/keys';
import type { WorkspaceAccounts } from '../services/tenancy/workspaces';
import type { WebhookEndpoints } from '../services/webhooks';
import type { Store } from '../store/store';
import type { Access } from './access';
import type { DashboardExtras } from './dashboard/deps';
import type { DocumentedRoute, RouteSpec } from './route';
import type { RequestTraffic } from './traffic';

export interface HttpDeps {
  store: Store;
  notifications: NotificationService;
  config: HeraldConfig;
  logger: Logger;
  /** Extra routers mounted under /v1 by other parts (webhooks), with their access and the operations they serve for the OpenAPI document. */
  extraRoutes?: Array<{ path: string; router: express.Router; access: Access; docs?: DocumentedRoute[] }>;
  /** API keys; built from the store and config when absent (one per process, so its caches are shared). */
  keys?: KeyService;
  /** Credit accounts of workspaces (the credits service), when it runs: balances are null otherwise. */
  accounts?: WorkspaceAccounts;
  /** Routes declared elsewhere with `route()` (full paths): validated, mounted and documented like Herald's own. */
  extraSpecs?: RouteSpec[];
  /** Serves /health/live and /health/ready when given. */
  readiness?: ReadinessProbe;
  /** The client's webhook endpoints; built from the store and config when absent (then without a shared cache to refresh). */
  webhookEndpoints?: WebhookEndpoints;
  /** Serves /metrics (loopback callers only) when given. */
  metrics?: Registry;
  /** Told of every request, so that work that can wait (the fan-out) lets requests go first. */
  traffic?: RequestTraffic;
  /** Serves the operator's dashboard (`/` for browsers, /dashboard) when given. */
  dashboard?: DashboardExtras;
}
