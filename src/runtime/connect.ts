// Start-up connections: a database or broker that is still starting (docker compose) gets
// retried with backoff; one that stays down stops the process with a clear line.
import type { Logger } from '../log/logger';

export async function connectWithRetry(
  what: string,
  connect: () => Promise<void>,
  logger: Logger,
  opts: { totalMs?: number; firstDelayMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.totalMs ?? 30_000);
  let delay = opts.firstDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      await connect();
      return;
    } catch (e) {
      const msg = (e as Error).message;
      if (Date.now() + delay > deadline) throw new Error(`cannot connect to the ${what}: ${msg}`);
      logger.warn(`${what} not reachable yet; retrying`, { attempt, error: msg, retryInMs: delay });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
