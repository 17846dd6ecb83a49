import { createCatalogCache } from '../../src/services/catalog-cache';
import type { Bus } from '../../src/bus/bus';
import type { Program, EventType } from '../../src/domain/types';
import type { Store } from '../../src/store/store';
import { createLogger } from '../../src/log/logger';

const logger = createLogger('t', { silent: true });

function fakes() {
  const programs = new Map<string, Program>();
  const reads = { programs: 0, eventTypes: 0 };
  const handlers: Array<(b: unknown) => void> = [];
  const resumed: Array<() => void> = [];
  const broadcasts: unknown[] = [];
  const at = new Date();
  const inner = {
    kind: 'sqlite',
    programs: {
      create: async (ws: string, p: { id: string; name: string }) => {
        const rec = { ...p, workspaceId: ws, createdAt: at, updatedAt: at } as Program;
        programs.set(p.id, rec);
        return rec;
      },
      get: async (_ws: string, id: string) => (reads.programs++, programs.get(id) ?? null),
      update: async (_ws: string, id: string, patch: Partial<Program>) => {
        const p = programs.get(id);
        if (!p) return null;
        programs.set(id, { ...p, ...patch });
        return programs.get(id)!;
      },
      delete: async (_ws: string, id: string) => programs.delete(id),
      list: async () => ({ items: [...programs.values()], total: programs.size, limit: 100, offset: 0 }),
    },
    eventTypes: { get: async () => (reads.eventTypes++, null as EventType | null) },
  } as unknown as Store;
  const bus = {
    broadcast: async (_t: string, body: unknown) => void broadcasts.push(body),
    subscribe: async (_t: string, h: (b: unknown) => void, o?: { onResumed?: () => void }) => {
      handlers.push(h);
      if (o?.onResumed) resumed.push(o.onResumed);
      return { close: async () => undefined };
    },
  } as unknown as Bus;
  return { inner, bus, reads, handlers, resumed, broadcasts, programs };
}

describe('catalog cache', () => {
  it('reads a program once, hands out copies, and never keeps an absent one', async () => {
    const f = fakes();
    const { store } = createCatalogCache(f.inner, f.bus, logger);
    expect(await store.programs.get('default', 'p')).toBeNull();
    await store.programs.create('default', { id: 'p', name: 'P' });
    const a = await store.programs.get('default', 'p');
    const b = await store.programs.get('default', 'p');
    expect(a).toMatchObject({ id: 'p', name: 'P' });
    expect(f.reads.programs).toBe(2);
    a!.name = 'changed by a caller';
    expect((await store.programs.get('default', 'p'))!.name).toBe('P');
    expect(b).not.toBe(a);
  });

  it('a change through it clears the copies and is broadcast; a broadcast from elsewhere clears them too', async () => {
    const f = fakes();
    const cache = createCatalogCache(f.inner, f.bus, logger);
    await cache.start();
    const { store } = cache;
    await store.programs.create('default', { id: 'p', name: 'P' });
    await store.programs.get('default', 'p');
    await store.programs.update('default', 'p', { name: 'Q' });
    expect(f.broadcasts).toHaveLength(1);
    expect((await store.programs.get('default', 'p'))!.name).toBe('Q');
    // Another process changed it (straight in the store here) and said so.
    f.programs.set('p', { ...f.programs.get('p')!, name: 'R' });
    expect((await store.programs.get('default', 'p'))!.name).toBe('Q');
    f.handlers.forEach((h) => h({}));
    expect((await store.programs.get('default', 'p'))!.name).toBe('R');
  });

  it('re-reads a copy older than the cache time (a missed broadcast)', async () => {
    const f = fakes();
    let t = 0;
    const { store } = createCatalogCache(f.inner, f.bus, logger, { ttlMs: 1000, now: () => t });
    await store.programs.create('default', { id: 'p', name: 'P' });
    await store.programs.get('default', 'p');
    f.programs.set('p', { ...f.programs.get('p')!, name: 'S' });
    t = 999;
    expect((await store.programs.get('default', 'p'))!.name).toBe('P');
    t = 1001;
    expect((await store.programs.get('default', 'p'))!.name).toBe('S');
  });

  it('drops its copies when the subscription comes back from a time away (broadcasts missed meanwhile)', async () => {
    const f = fakes();
    const cache = createCatalogCache(f.inner, f.bus, logger);
    await cache.start();
    await cache.store.programs.create('default', { id: 'p', name: 'P' });
    await cache.store.programs.get('default', 'p');
    // Changed elsewhere while this process's subscription was away: its broadcast never arrived.
    f.programs.set('p', { ...f.programs.get('p')!, name: 'T' });
    expect((await cache.store.programs.get('default', 'p'))!.name).toBe('P');
    expect(f.resumed).toHaveLength(1);
    f.resumed[0]();
    expect((await cache.store.programs.get('default', 'p'))!.name).toBe('T');
  });
});
