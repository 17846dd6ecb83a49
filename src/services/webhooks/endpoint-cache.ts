// Every enabled endpoint, by workspace, re-read at most every `ttlMs`: the emitter and the worker ask
// "does anyone want this event?" per change, and the answer must cost no round trip.
import { endpointWants } from '../../domain/webhooks';
import type { WebhookEndpoint, WebhookRepo } from '../../store/store-webhooks';
import { withinStoreTimeout } from '../../store/call-timeout';

export interface EndpointCache {
  /** The workspace's enabled endpoints that want this event type. */
  matching(workspaceId: string, type: string): Promise<WebhookEndpoint[]>;
  wanted(workspaceId: string, type: string): Promise<boolean>;
  /** Without waiting: whether any endpoint of any workspace wanted this type at the last read (which this refreshes when stale). */
  anyWantsNow(type: string): boolean;
  /** Without waiting: whether the workspace may want this type (true until a first read says otherwise). */
  mayWantNow(workspaceId: string, type: string): boolean;
  /** Every enabled endpoint by workspace. */
  enabled(): Promise<Map<string, WebhookEndpoint[]>>;
  /** Forget what was read (an endpoint changed in this process). */
  invalidate(): void;
}

/** `callTimeoutMs`: a read that has not settled after this fails (StoreTimeoutError) and the next question reads again; 0: no bound. */
export function createEndpointCache(repo: Pick<WebhookRepo, 'listEnabled'>, ttlMs: number, callTimeoutMs = 0): EndpointCache {
  let byWorkspace: Map<string, WebhookEndpoint[]> | undefined;
  let readAt = 0;
  let reading: Promise<Map<string, WebhookEndpoint[]>> | undefined;
  /** Bumped by invalidate(): a read begun before a change is not kept after it (a new read is). */
  let generation = 0;

  function readAll(gen: number): Promise<Map<string, WebhookEndpoint[]>> {
    const read = (async () => {
      const started = Date.now();
      const map = new Map<string, WebhookEndpoint[]>();
      // One read at a time: one that never settled would hold every question (and the emitter) for good.
      for (const e of await withinStoreTimeout(repo.listEnabled(), callTimeoutMs, 'webhooks.listEnabled')) map.set(e.workspaceId, [...(map.get(e.workspaceId) ?? []), e]);
      if (gen === generation) {
        byWorkspace = map;
        readAt = started;
      }
      return map;
    })();
    const done = () => void (reading === read && (reading = undefined));
    read.then(done, done);
    return read;
  }

  async function current(): Promise<Map<string, WebhookEndpoint[]>> {
    if (byWorkspace && Date.now() - readAt < ttlMs) return byWorkspace;
    reading ??= readAll(generation);
    return reading;
  }

  const matching = async (ws: string, type: string) => ((await current()).get(ws) ?? []).filter((e) => endpointWants(e.events, type));
  return {
    matching,
    enabled: current,
    wanted: async (ws, type) => (await matching(ws, type)).length > 0,
    mayWantNow(ws, type) {
      if (!byWorkspace || Date.now() - readAt >= ttlMs) void current().catch(() => undefined);
      if (!byWorkspace) return true;
      return (byWorkspace.get(ws) ?? []).some((e) => endpointWants(e.events, type));
    },
    anyWantsNow(type) {
      if (!byWorkspace || Date.now() - readAt >= ttlMs) void current().catch(() => undefined);
      return [...(byWorkspace?.values() ?? [])].some((list) => list.some((e) => endpointWants(e.events, type)));
    },
    invalidate() {
      generation++;
      readAt = 0;
      reading = undefined;
      void current().catch(() => undefined);
    },
  };
}
