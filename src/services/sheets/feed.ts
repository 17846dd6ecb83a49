// Feeds the `sheets` queue: each notification event Herald dispatches goes there once its
// program has an export target. Called from the dispatch consumer after the fan-out, so a
// failed publish fails that delivery and the bus brings it back (nothing missed; the exporter
// stages each event once, so a second publish is harmless).
import type { Bus } from '../../bus/bus';
import { ThreadChannel } from '../../bus/thread-channel';
import { OUTCOME_STATUSES, type MessageOutcome } from '../../domain/sheets';
import type { Notification } from '../../domain/types';
import type { Logger } from '../../log/logger';
import type { Store } from '../../store/store';
import type { MessageChange } from '../usage/observe-messages';

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

/** Feeds of this thread, told when a target is created or deleted here (so the first events after it are not missed). */
const feeds = new Set<{ invalidate(): void }>();
/** The same news for this process's other threads (`herald all`'s sender threads hold the outcome feed): the feeds are its users. */
const otherThreads = new ThreadChannel<'changed'>('herald-sheet-targets', () => feeds.forEach((f) => f.invalidate()));
export function targetsChanged(): void {
  feeds.forEach((f) => f.invalidate());
  otherThreads.post('changed');
}

/** Hears of target changes until the returned close(). */
function addFeed(feed: { invalidate(): void }): () => void {
  feeds.add(feed);
  const leave = otherThreads.join();
  return () => {
    feeds.delete(feed);
    leave();
  };
}

/**
 * "This program has (no) targets", believed for `cacheMs`. invalidate() forgets it, and a read begun
 * before an invalidate() is not kept after it (its answer may predate the new target): else the
 * program's next events would be skipped for the whole cache time although the target was made here.
 */
function targetBelief(cacheMs: number, read: (ws: string, programId: string) => Promise<boolean>) {
  const known = new Map<string, { has: boolean; at: number }>();
  let generation = 0;
  const fresh = (ws: string, programId: string): boolean | undefined => {
    const hit = known.get(`${ws}\u0000${programId}`);
    return hit && Date.now() - hit.at < cacheMs ? hit.has : undefined;
  };
  return {
    /** What is believed now, without a read (undefined: nothing fresh). */
    known: fresh,
    async has(ws: string, programId: string): Promise<boolean> {
      const k = `${ws}\u0000${programId}`;
      const hit = fresh(ws, programId);
      if (hit !== undefined) return hit;
      const gen = generation;
      const has = await read(ws, programId);
      if (gen !== generation) return has;
      if (known.size > 10_000) known.clear();
      known.set(k, { has, at: Date.now() });
      return has;
    },
    invalidate(): void {
      generation++;
      known.clear();
    },
  };
}

export interface SheetsFeedDeps {
  store: Store;
  bus: Bus;
  /** How long "this program has (no) targets" is believed; targets made in this process are seen at once. */
  cacheMs?: number;
}

export function createSheetsFeed(deps: SheetsFeedDeps) {
  const { store, bus } = deps;
  const targets = targetBelief(deps.cacheMs ?? 2000, async (ws, programId) => (await store.sheetExports.list({ workspaceId: ws, programId })).length > 0);

  const feed = {
    /** Targets changed in this process: forget what was believed. */
    invalidate: targets.invalidate,
    /** The dispatch queue's body `{notificationId}` (and the notification, when the caller has read it): publishes that event to `sheets` if its program exports. Throws if the publish fails. */
    async fromDispatch(body: unknown, known?: Notification): Promise<void> {
      const id = (body as { notificationId?: unknown } | null)?.notificationId;
      if (typeof id !== 'string' || id === '') return;
      // The dispatcher's copy, when it has one: the fields an event carries never change.
      const n = known?.id === id ? known : await store.notifications.get(id);
      if (!n || !(await targets.has(n.workspaceId, n.programId))) return;
      await bus.publish('sheets', sheetEventBody(n), { messageId: n.id });
    },
    /** Stops hearing about target changes. */
    close: (): void => removeFeed(),
  };
  const removeFeed = addFeed(feed);
  return feed;
}

export type SheetsFeed = ReturnType<typeof createSheetsFeed>;

/** A message outcome as the `sheets` queue carries it. */
export function outcomeBody(o: MessageOutcome): object {
  return { outcome: { ...o, at: o.at.toISOString() } };
}

export function parseSheetOutcome(body: unknown): MessageOutcome | undefined {
  const o = (body as { outcome?: Record<string, unknown> } | null)?.outcome;
  if (!o || typeof o !== 'object') return undefined;
  const need = ['messageId', 'workspaceId', 'programId', 'notificationId', 'eventTypeId', 'channel', 'userId', 'status', 'at'];
  if (need.some((k) => typeof o[k] !== 'string' || o[k] === '')) return undefined;
  const at = new Date(o.at as string);
  if (Number.isNaN(at.getTime())) return undefined;
  const opt = (k: string) => (typeof o[k] === 'string' ? { [k]: o[k] as string } : {});
  return { ...(o as unknown as MessageOutcome), at, ...opt('provider'), ...opt('errorCode'), ...opt('errorMessage') };
}

const OUTCOMES: ReadonlySet<string> = new Set(OUTCOME_STATUSES);

/**
 * A message listener (services/usage/observe-messages) that publishes each message outcome of a
 * program with an outcomes sheet to the `sheets` queue. Best effort: a publish that fails is logged
 * (the message's own record keeps its status; the events sheet is the one with the guarantee).
 */
export function createOutcomeFeed(deps: { store: Store; bus: Bus; logger: Logger; cacheMs?: number }) {
  const { store, bus, logger } = deps;
  const targets = targetBelief(deps.cacheMs ?? 2000, async (ws, programId) => (await store.sheetExports.list({ workspaceId: ws, programId, kind: 'outcomes' })).length > 0);
  const removeFeed = addFeed(targets);

  async function publish(changes: MessageChange[]): Promise<void> {
    for (const c of changes) {
      const m = c.message;
      if (!OUTCOMES.has(m.status) || c.before === m.status) continue;
      // The cached answer without a promise (every message of a busy worker asks); else it is read.
      if (!(targets.known(m.workspaceId, m.programId) ?? (await targets.has(m.workspaceId, m.programId)))) continue;
      const last = m.statusHistory[m.statusHistory.length - 1];
      const o: MessageOutcome = {
        messageId: m.id, workspaceId: m.workspaceId, programId: m.programId, notificationId: m.notificationId, eventTypeId: m.eventTypeId,
        channel: m.channel, userId: m.userId, status: m.status, at: last?.at ?? new Date(),
        ...(m.provider ? { provider: m.provider } : {}),
        ...(m.error ? { errorCode: m.error.code, errorMessage: m.error.message } : {}),
      };
      await bus.publish('sheets', outcomeBody(o), { messageId: `${m.id}/${m.status}` });
    }
  }

  return {
    listener: (changes: MessageChange[]): void => {
      publish(changes).catch((e: unknown) => logger.warn('sheets: a message outcome was not queued for its sheet', { error: (e as Error).message }));
    },
    close: removeFeed,
  };
}
