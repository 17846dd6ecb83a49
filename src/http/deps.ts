// What the HTTP layer needs from the rest of Herald.
import type express from 'express';
import type { HeraldConfig } from '../config';
import type { Logger } from '../log/logger';
import type { NotificationService } from '../services/notification-service';
import type { Store } from '../store/store';
import type { RouteSpec } from './route';

export interface HttpDeps {
  store: Store;
  notifications: NotificationService;
  config: HeraldConfig;
  logger: Logger;
  /** Extra routers mounted under /v1 by other parts (webhooks, providers admin). */
  extraRoutes?: Array<{ path: string; router: express.Router }>;
  /** Routes declared elsewhere with `route()` (full paths): validated, mounted and documented like Herald's own. */
  extraSpecs?: RouteSpec[];
}
