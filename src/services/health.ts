// Readiness of one process: its store answers, its bus answers, its providers are loaded.
import type { Bus } from '../bus/bus';
import type { Store } from '../store/store';

export type Part = 'store' | 'bus' | 'providers';
export interface Readiness {
  ready: boolean;
  checks: Record<Part, 'up' | 'down'>;
  /** The parts that are down, for the 503's message. */
  down: Part[];
}
export type ReadinessProbe = () => Promise<Readiness>;

/** A probe slower than this counts as down: readiness answers in about a second whatever hangs. */
const PROBE_TIMEOUT_MS = 1_000;

async function within(p: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), PROBE_TIMEOUT_MS)));
  try {
    return await Promise.race([p.then((v) => v !== false, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `providersLoaded` says whether the provider registry of this process is built (the server's webhook providers, a worker's routers). */
export function createReadinessProbe(deps: { store: Store; bus: Bus; providersLoaded: () => boolean }): ReadinessProbe {
  return async () => {
    // The bus answers a queue depth only with a live connection (RabbitMQ: a channel round trip).
    const [store, bus] = await Promise.all([within(deps.store.ping()), within(deps.bus.depth('dispatch'))]);
    const checks = { store: store ? 'up' : 'down', bus: bus ? 'up' : 'down', providers: deps.providersLoaded() ? 'up' : 'down' } as const;
    const down = (Object.keys(checks) as Part[]).filter((k) => checks[k] === 'down');
    return { ready: down.length === 0, checks, down };
  };
}
