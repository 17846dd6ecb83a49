// Feeds the `sheets` queue: each notification event Herald dispatches goes there once its
// program has an export target. Called from the dispatch consumer before the fan-out, so a
// failed publish fails that delivery and the bus brings it back (nothing missed; the exporter
// stages each event once, so a second publish is harmless).
import type { Bus } from '../../bus/bus';
import type { Notification } from '../../domain/types';
import type { Store } from '../../store/store';

/** The event as the `sheets` queue carries it. */
export interface SheetEvent {
  id: string;
  workspaceId: string;
  programId: string;
  eventTypeId: string;
  createdAt: Date;
  data: Record<string, unknown>;
}

export function sheetEventBody(n: Pick<Notification, 'id' | 'workspaceId' | 'programId' | 'eventTypeId' | 'createdAt' | 'data'>): object {
  return { event: { id: n.id, workspaceId: n.workspaceId, programId: n.programId, eventTypeId: n.eventTypeId, createdAt: n.createdAt.toISOString(), data: n.data } };
}

export function parseSheetEvent(body: unknown): SheetEvent | undefined {
  const e = (body as { event?: Record<string, unknown> } | null)?.event;
  if (!e || typeof e !== 'object') return undefined;
  const str = (k: string) => (typeof e[k] === 'string' && e[k] !== '' ? (e[k] as string) : undefined);
  const [id, workspaceId, programId, eventTypeId, at] = ['id', 'workspaceId', 'programId', 'eventTypeId', 'createdAt'].map(str);
  const createdAt = at ? new Date(at) : undefined;
  const data = e.data;
  if (!id || !workspaceId || !programId || !eventTypeId || !createdAt || Number.isNaN(createdAt.getTime())) return undefined;
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  return { id, workspaceId, programId, eventTypeId, createdAt, data: data as Record<string, unknown> };
}

/** Feeds of this process, told when a target is created or deleted here (so the first events after it are not missed). */
const feeds = new Set<{ invalidate(): void }>();
export function targetsChanged(): void {
  feeds.forEach((f) => f.invalidate());
}

export interface SheetsFeedDeps {
  store: Store;
  bus: Bus;
  /** How long "this program has (no) targets" is believed; targets made in this process are seen at once. */
  cacheMs?: number;
}

export function createSheetsFeed(deps: SheetsFeedDeps) {
  const { store, bus } = deps;
  const cacheMs = deps.cacheMs ?? 2000;
  const known = new Map<string, { has: boolean; at: number }>();

  async function hasTargets(ws: string, programId: string): Promise<boolean> {
    const k = `${ws}\u0000${programId}`;
    const hit = known.get(k);
    if (hit && Date.now() - hit.at < cacheMs) return hit.has;
    const has = (await store.sheetExports.list({ workspaceId: ws, programId })).length > 0;
    if (known.size > 10_000) known.clear();
    known.set(k, { has, at: Date.now() });
    return has;
  }

  const feed = {
    /** Targets changed in this process: forget what was believed. */
    invalidate(): void {
      known.clear();
    },
    /** The dispatch queue's body `{notificationId}`: publishes that event to `sheets` if its program exports. Throws if the publish fails. */
    async fromDispatch(body: unknown): Promise<void> {
      const id = (body as { notificationId?: unknown } | null)?.notificationId;
      if (typeof id !== 'string' || id === '') return;
      const n = await store.notifications.get(id);
      if (!n || !(await hasTargets(n.workspaceId, n.programId))) return;
      await bus.publish('sheets', sheetEventBody(n), { messageId: n.id });
    },
    /** Stops hearing about target changes. */
    close(): void {
      feeds.delete(feed);
    },
  };
  feeds.add(feed);
  return feed;
}

export type SheetsFeed = ReturnType<typeof createSheetsFeed>;
