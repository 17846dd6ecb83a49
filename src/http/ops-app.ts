// A worker's own small HTTP port: liveness, readiness and metrics, nothing else.
import express from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger';
import type { ReadinessProbe } from '../services/health';
import { errorHandler, notFoundHandler } from './errors';
import { mountRoutes } from './route';
import { healthRoutes } from './routes/health';
import { metricsRoutes } from './routes/metrics';

/** Every route here is open (the port is for the orchestrator and the scraper), so no key gate. */
export function createOpsApp(deps: { readiness: ReadinessProbe; metrics: Registry; logger: Logger }): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const router = express.Router();
  mountRoutes(router, [...healthRoutes(deps.readiness), ...metricsRoutes(deps.metrics, { loopbackOnly: false })], '1kb', () => []);
  app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
