// Starts a worker's own HTTP port (health and metrics); port 0 picks a free one, logged.
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import { createOpsApp } from '../http/ops-app';
import type { Logger } from '../log/logger';
import type { ReadinessProbe } from '../services/health';

export async function startOpsServer(opts: { port: number; host: string; readiness: ReadinessProbe; metrics: Registry; logger: Logger }) {
  const app = createOpsApp(opts);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`;
  opts.logger.info('worker HTTP port listening (/health/live, /health/ready, /metrics)', { port, url });
  return {
    url,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
