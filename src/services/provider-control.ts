// The provider control plane: routing state kept in the store (so every process shares it),
// seeded from configuration, refreshed by every worker, shown and changed over HTTP.
import type { Channel } from '../domain/types';
import type { Logger } from '../log/logger';
import type { Provider, ProviderConfig } from '../providers/types';
import type { NewProviderControl, ProviderActivity, ProviderControl, ProviderControlPatch, Store } from '../store/store';
import { withinStoreTimeout, withinStoreTimeoutOnce } from '../store/call-timeout';

/** A worker's provider router as the control plane sees it (workers/router.ts implements it; nothing here imports upward). */
export interface ControlledRouter {
  /** Takes the shared routing state (pause, order, weight, rate). */
  applyControl(rows: ProviderControl[]): void;
  /** Counters and circuit openings since the last call, to add to the shared state. */
  drainActivity(): Array<{ id: string } & ProviderActivity>;
}

/** What GET /v1/providers shows for one provider instance. */
export interface ProviderView {
  id: string;
  type: string;
  channel: Channel;
  /** paused wins over an open circuit; `open` when any worker reported its circuit open now. */
  state: 'active' | 'paused' | 'open';
  order: number;
  weight: number;
  /** Messages (parts) per second across every worker; null: unlimited. */
  ratePerSecond: number | null;
  /** Summed over every worker process, up to one refresh period behind. */
  sent: number;
  failed: number;
  circuitOpenUntil?: Date;
  updatedAt: Date;
}

/** Initial state of a configured provider: its position in the channel's list is its order. */
export function initialControl(cfg: ProviderConfig, index: number): NewProviderControl {
  return {
    id: cfg.id,
    channel: cfg.channel,
    paused: cfg.paused ?? false,
    order: index,
    weight: cfg.weight ?? 0,
    ...(cfg.ratePerSecond !== undefined ? { ratePerSecond: cfg.ratePerSecond } : {}),
  };
}

/** Stores every configured provider that is not stored yet; operators' changes to stored ones stay. */
export async function seedProviderControl(store: Store, configs: ProviderConfig[]): Promise<void> {
  const byChannel = new Map<Channel, number>();
  for (const cfg of configs) {
    const index = byChannel.get(cfg.channel) ?? 0;
    byChannel.set(cfg.channel, index + 1);
    await store.providerControl.ensure(initialControl(cfg, index));
  }
}

export interface ControlRefresh {
  /** Reads the shared state into the routers and adds their counters to it, once. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

/** Every `intervalMs`, this process's routers take the shared state and report their activity. */
export function startControlRefresh(deps: {
  store: Store;
  routers: ControlledRouter[];
  intervalMs: number;
  logger: Logger;
  /** A store call that has not settled after this fails the refresh (StoreTimeoutError): the next one runs (config store.callTimeoutMs; 0: no bound). */
  callTimeoutMs?: number;
}): ControlRefresh {
  const { store, routers, logger } = deps;
  const bound = <T>(p: Promise<T>, what: string) => withinStoreTimeout(p, deps.callTimeoutMs ?? 0, what);
  let running: Promise<void> | undefined;
  let failing = false;
  /** Activity the routers handed over (they give it once) and not written yet: a failed write keeps it for the next refresh. */
  const unwritten = new Map<string, ProviderActivity>();

  function keep(a: { id: string } & ProviderActivity): void {
    const cur = unwritten.get(a.id);
    const openUntil = cur?.circuitOpenUntil && (!a.circuitOpenUntil || cur.circuitOpenUntil > a.circuitOpenUntil) ? cur.circuitOpenUntil : a.circuitOpenUntil;
    unwritten.set(a.id, { sent: (cur?.sent ?? 0) + a.sent, failed: (cur?.failed ?? 0) + a.failed, ...(openUntil ? { circuitOpenUntil: openUntil } : {}) });
  }

  async function once(): Promise<void> {
    try {
      const rows = await bound(store.providerControl.list(), 'providerControl.list');
      for (const r of routers) r.applyControl(rows);
      for (const r of routers) r.drainActivity().forEach(keep);
      for (const [id, a] of [...unwritten]) {
        unwritten.delete(id);
        // Kept again only once the write failed: one given up on (StoreTimeoutError) may still land, and an
        // increment written again meanwhile would count the period twice.
        await withinStoreTimeoutOnce(store.providerControl.recordActivity(id, a), deps.callTimeoutMs ?? 0, 'providerControl.recordActivity', () => keep({ id, ...a }));
      }
      if (failing) logger.info('provider control state readable again');
      failing = false;
    } catch (e) {
      // Keep routing on the last state read; say so once, not every period.
      if (!failing) logger.warn('cannot refresh provider control state; keeping the last one', { error: (e as Error).message });
      failing = true;
    }
  }
  const refresh = (): Promise<void> => (running ??= once().finally(() => (running = undefined)));
  const timer = setInterval(() => void refresh(), deps.intervalMs);
  timer.unref();
  return {
    refresh,
    async stop() {
      clearInterval(timer);
      await running;
      // Counters of the last period would otherwise be lost.
      await once();
    },
  };
}

export interface ProviderControlService {
  list(): Promise<ProviderView[]>;
  /** null when no provider has that id. */
  update(id: string, patch: ProviderControlPatch): Promise<ProviderView | null>;
}

export function createProviderControlService(deps: { store: Store; providers: ProviderConfig[]; clock?: () => number }): ProviderControlService {
  const { store, providers } = deps;
  const clock = deps.clock ?? Date.now;
  const configOf = new Map(providers.map((p) => [p.id, p]));

  function view(row: ProviderControl): ProviderView {
    const open = row.circuitOpenUntil !== undefined && row.circuitOpenUntil.getTime() > clock();
    return {
      id: row.id,
      type: configOf.get(row.id)?.type ?? 'unknown',
      channel: row.channel,
      state: row.paused ? 'paused' : open ? 'open' : 'active',
      order: row.order,
      weight: row.weight,
      ratePerSecond: row.ratePerSecond ?? null,
      sent: row.sent,
      failed: row.failed,
      ...(open ? { circuitOpenUntil: row.circuitOpenUntil } : {}),
      updatedAt: row.updatedAt,
    };
  }

  return {
    async list() {
      const rows = await store.providerControl.list();
      // Only providers this installation configures: a removed one may linger in the store.
      return rows.filter((r) => configOf.has(r.id)).map(view);
    },
    async update(id, patch) {
      if (!configOf.has(id)) return null;
      const row = await store.providerControl.update(id, patch);
      return row ? view(row) : null;
    },
  };
}

/** Provider instances by id for webhooks: this process's own, else built on first use (a server sends nothing). */
export function createProviderResolver(configs: ProviderConfig[], build: (cfg: ProviderConfig) => Provider, existing: Provider[]) {
  const built = new Map<string, Provider>(existing.map((p) => [p.id, p]));
  const mine = new Set(built.keys());
  return {
    get(id: string): Provider | undefined {
      if (!built.has(id)) {
        const cfg = configs.find((c) => c.id === id);
        if (!cfg) return undefined;
        built.set(id, build(cfg));
      }
      return built.get(id);
    },
    /** Closes the providers built here (the workers close their own). */
    async close(): Promise<void> {
      await Promise.all([...built].filter(([id]) => !mine.has(id)).map(([, p]) => p.close?.()));
    },
  };
}
