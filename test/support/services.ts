// Where the integration tests find RabbitMQ and MongoDB. Both come from the environment
// (MONGODB_URI, AMQP_URL) so the same suite runs against docker compose unchanged; the
// defaults match scripts/test-services.sh. Under CI a missing service fails the suite.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { testEnv } from '../../src/config';

const env = testEnv();

export const MONGO_BASE_URI = env.mongodbUri ?? 'mongodb://127.0.0.1:27017';
export const AMQP_URL = env.amqpUrl ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A MongoDB URI on a database of its own, so test files never see each other's records. */
export function uniqueMongoUri(prefix = 'herald_test'): string {
  const u = new URL(MONGO_BASE_URI);
  u.pathname = `/${prefix}_${randomUUID().slice(0, 8)}`;
  return u.toString();
}

/** A name no other test uses (queues, exchanges, folders). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function reachable(uri: string, defaultPort: number): Promise<boolean> {
  const u = new URL(uri);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    s.setTimeout(2000);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}

/** Throws (fails the suite) when a service is not reachable: tests never silently skip. */
export async function requireServices(which: Array<'mongo' | 'amqp'>): Promise<void> {
  for (const w of which) {
    const ok = w === 'mongo' ? await reachable(MONGO_BASE_URI, 27017) : await reachable(AMQP_URL, 5672);
    if (!ok) {
      throw new Error(`${w} is not reachable (${w === 'mongo' ? MONGO_BASE_URI : AMQP_URL}); run scripts/test-services.sh`);
    }
  }
}
