// Programs and event types, read on every accepted notification and every fan-out, change rarely:
// each process keeps the ones it read. A change made through any process's store clears every
// process's copies (a `catalog` broadcast on the bus); a process that missed the broadcast (a
// reconnect) serves a copy at most `ttlMs` old. Absent records are never kept, so a program
// created a moment ago is found at once.
import type { Bus, BroadcastSubscription } from '../bus/bus';
import type { EventType, Program } from '../domain/types';
import type { Logger } from '../log/logger';
import type { EventTypeRepo, ProgramRepo, Store } from '../store/store';

export const CATALOG_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

export interface CatalogCache {
  /** The store with cached `programs.get` and `eventTypes.get`; its catalog writes clear every process's copies. */
  store: Store;
  /** Starts hearing the other processes' changes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Forgets every copy in this process (also what a `catalog` broadcast does). */
  clear(): void;
}

interface Entry<T> {
  value: T;
  at: number;
}

export function createCatalogCache(inner: Store, bus: Bus, logger: Logger, opts: { ttlMs?: number; now?: () => number } = {}): CatalogCache {
  const ttlMs = opts.ttlMs ?? CATALOG_TTL_MS;
  const now = opts.now ?? Date.now;
  const programs = new Map<string, Entry<Program>>();
  const eventTypes = new Map<string, Entry<EventType>>();
  /** Reads of the same record in flight share one store call. */
  const inFlight = new Map<string, Promise<unknown>>();
  /** Bumped on every clear: a read that started before a change is not kept after it. */
  let generation = 0;
  let subscription: BroadcastSubscription | undefined;

  function clear(): void {
    generation++;
    programs.clear();
    eventTypes.clear();
    inFlight.clear();
  }

  async function changed(): Promise<void> {
    clear();
    await bus.broadcast('catalog', {}).catch((e: unknown) => {
      logger.warn('catalog change not broadcast; other processes see it within the cache time', { error: (e as Error).message, ttlMs });
    });
  }

  /** A copy: callers may change what they get without changing the cache. */
  async function cached<T extends object>(kind: 'p' | 'e', map: Map<string, Entry<T>>, key: string, read: () => Promise<T | null>): Promise<T | null> {
    const hit = map.get(key);
    if (hit && now() - hit.at < ttlMs) return { ...hit.value };
    const flightKey = `${kind}\u0000${key}`;
    let pending = inFlight.get(flightKey) as Promise<T | null> | undefined;
    if (!pending) {
      const gen = generation;
      pending = read().then(
        (value) => {
          if (gen === generation) {
            inFlight.delete(flightKey);
            if (value) {
              // Bounded: many workspaces' catalogs start over rather than grow without end.
              if (map.size >= MAX_ENTRIES) map.clear();
              map.set(key, { value, at: now() });
            }
          }
          return value;
        },
        (e: unknown) => {
          if (gen === generation) inFlight.delete(flightKey);
          throw e;
        },
      );
      inFlight.set(flightKey, pending);
    }
    const value = await pending;
    return value ? { ...value } : null;
  }

  const p = inner.programs;
  const programRepo: ProgramRepo = {
    create: (ws, v) => p.create(ws, v),
    get: (ws, id) => cached('p', programs, `${ws}\u0000${id}`, () => p.get(ws, id)),
    update: async (ws, id, patch) => after(await p.update(ws, id, patch)),
    // Deleting a program deletes its event types: every copy goes.
    delete: async (ws, id) => after(await p.delete(ws, id)),
    list: (ws, q) => p.list(ws, q),
  };
  const e = inner.eventTypes;
  const eventTypeRepo: EventTypeRepo = {
    create: (ws, v) => e.create(ws, v),
    get: (ws, programId, id) => cached('e', eventTypes, `${ws}\u0000${programId}\u0000${id}`, () => e.get(ws, programId, id)),
    update: async (ws, programId, id, patch) => after(await e.update(ws, programId, id, patch)),
    delete: async (ws, programId, id) => after(await e.delete(ws, programId, id)),
    list: (ws, programId, q) => e.list(ws, programId, q),
  };

  async function after<T>(result: T): Promise<T> {
    await changed();
    return result;
  }

  // Every other member (connect, close, the other repos) is the inner store's own.
  const store = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'programs') return programRepo;
      if (prop === 'eventTypes') return eventTypeRepo;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });

  return {
    store,
    clear,
    async start() {
      // Changes broadcast while the subscription was away were missed: drop everything then too.
      subscription ??= await bus.subscribe('catalog', () => clear(), { onResumed: clear });
    },
    async stop() {
      await subscription?.close();
      subscription = undefined;
    },
  };
}
