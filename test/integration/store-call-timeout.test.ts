// Loops that run one round at a time must not wedge on a store call that never settles (seen under a
// MongoDB cut with the machine loaded: a driver call lost for good). After store.callTimeoutMs the round
// fails with StoreTimeoutError and the next one runs. Real SQLite store; one call is made to hang.
import path from 'node:path';
import { createLogger, StoreLogTransport } from '../../src/log/logger';
import { startControlRefresh } from '../../src/services/provider-control';
import { StoreTimeoutError, withinStoreTimeout } from '../../src/store';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { ProviderControl } from '../../src/store/store';
import type { WebhookDelivery } from '../../src/store/store-webhooks';
import { createWebhookWorker } from '../../src/workers/webhooks';
import { createEndpointCache } from '../../src/services/webhooks/endpoint-cache';
import { createWebhookSweep } from '../../src/services/webhooks/sweep';
import { tempDir } from '../support/herald';
import { loadConfig } from '../../src/config';
import { createScheduler } from '../../src/workers/scheduler';
import { createCampaignTicker } from '../../src/workers/campaign-ticker';
import { notification } from '../contract/store.contract.dispatch';

const quiet = { info() {}, warn() {}, debug() {}, error() {} } as never;
const until = async (cond: () => boolean | Promise<boolean>, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!(await cond()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return cond();
};
/** The first call of `method` never settles; the others are the store's own. */
function hangOnce<T extends object>(repo: T, method: keyof T): void {
  const real = (repo[method] as (...a: unknown[]) => Promise<unknown>).bind(repo);
  let first = true;
  jest.spyOn(repo as never, method as never).mockImplementation(((...args: unknown[]) => {
    if (!first) return real(...args);
    first = false;
    return new Promise(() => undefined);
  }) as never);
}

let store: SqliteStore;
const stops: Array<() => Promise<void>> = [];
beforeEach(async () => {
  store = createSqliteStore(path.join(tempDir('call-timeout-'), 'herald.db'));
  await store.connect();
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  jest.restoreAllMocks();
  await store.close();
});

describe('a store call that never settles', () => {
  it('is given up with a typed error after the bound', async () => {
    const e = await withinStoreTimeout(new Promise(() => undefined), 50, 'x.y').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(StoreTimeoutError);
    expect((e as StoreTimeoutError).code).toBe('STORE_UNAVAILABLE');
  });

  it('does not wedge the provider refresh: the next refresh applies the stored state', async () => {
    await store.providerControl.ensure({ id: 'sms-a', channel: 'sms', paused: false, order: 0, weight: 0 });
    hangOnce(store.providerControl, 'list');
    const applied: ProviderControl[][] = [];
    const router = { applyControl: (rows: ProviderControl[]) => void applied.push(rows), drainActivity: () => [] };
    const refresh = startControlRefresh({ store, routers: [router], intervalMs: 50, logger: quiet, callTimeoutMs: 200 });
    stops.push(() => refresh.stop());
    // An operator pauses the provider: the workers must hear of it.
    await store.providerControl.update('sms-a', { paused: true });
    expect(await until(() => applied.some((rows) => rows.some((r) => r.id === 'sms-a' && r.paused)))).toBe(true);
  });

  it('does not wedge the log sink: later lines reach the consolidated log', async () => {
    // The first append answers only long after its bound, and then with a failure.
    let failFirst: (e: Error) => void = () => undefined;
    const real = store.logs.append.bind(store.logs);
    let first = true;
    jest.spyOn(store.logs, 'append').mockImplementation((lines) => {
      if (!first) return real(lines);
      first = false;
      return new Promise((_, reject) => (failFirst = reject));
    });
    const sink = new StoreLogTransport(store.logs, { flushMs: 10, callTimeoutMs: 200 });
    stops.push(async () => sink.close());
    const line = (message: string) => ({ time: new Date(), level: 'info', process: 'test', message });
    sink.pushLine(line('first'));
    await new Promise((r) => setTimeout(r, 50));
    sink.pushLine(line('second'));
    const messages = async () => (await store.logs.query({ limit: 10 })).map((l) => l.message);
    expect(await until(async () => (await messages()).includes('second'))).toBe(true);
    // Given up on, the first batch is in doubt (it may still land: store-call-late.test.ts); once its
    // append fails for good its lines are written again.
    failFirst(new Error('connection reset'));
    expect(await until(async () => (await messages()).includes('first'))).toBe(true);
  });

  it('does not wedge the scheduler: the relay still republishes a notification left accepted', async () => {
    await store.notifications.create(notification('n1', { startTime: new Date(), validUntil: new Date(Date.now() + 3_600_000), endTime: undefined }));
    // The first step of the first round (scheduled starts) never gets its answer.
    hangOnce(store.notifications, 'findByStatus');
    const published: string[] = [];
    const bus = { publish: async (queue: string, body: { notificationId?: string }) => void (queue === 'dispatch' && published.push(body.notificationId!)) };
    const config = loadConfig({ HERALD_SCHEDULER_MS: '50', HERALD_STORE_CALL_TIMEOUT_MS: '200' }, {});
    const scheduler = createScheduler({ store, bus: bus as never, config, logger: createLogger('test', { silent: true }), relayAfterMs: -60_000 });
    scheduler.start();
    stops.push(() => scheduler.stop());
    expect(await until(() => published.includes('n1'))).toBe(true);
  });

  it('does not wedge the campaign ticker: a campaign whose run ended is still completed', async () => {
    await store.campaigns.create({
      workspaceId: 'default', id: 'c1', name: 'term 1', channel: 'sms', message: 'Hello', status: 'running',
      validityHours: 48, recipients: 0, run: { messages: 0, startedAt: new Date(), finishedAt: new Date() },
    });
    // The first step of the first round (scheduled campaigns due) never gets its answer.
    hangOnce(store.campaigns, 'findDue');
    const config = loadConfig({ HERALD_SCHEDULER_MS: '50', HERALD_STORE_CALL_TIMEOUT_MS: '200' }, {});
    const ticker = createCampaignTicker({ store, lifecycle: {} as never, config, logger: quiet });
    ticker.start();
    stops.push(() => ticker.stop());
    expect(await until(async () => (await store.campaigns.get('c1'))?.status === 'completed')).toBe(true);
  });

  const addEndpoint = () =>
    store.webhooks.createEndpoint({ workspaceId: 'default', id: 'we_a', url: 'http://127.0.0.1:9/hook', events: [], secret: 'whsec_x', enabled: true });

  it('does not wedge the webhook endpoint cache: the next question reads the endpoints again', async () => {
    await addEndpoint();
    hangOnce(store.webhooks, 'listEnabled');
    const cache = createEndpointCache(store.webhooks, 60_000, 200);
    await expect(cache.wanted('default', 'message.sent')).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(await cache.wanted('default', 'message.sent')).toBe(true);
  });

  it('does not wedge the webhook catch-up sweep: a pass fails with the typed error, the next one runs', async () => {
    await addEndpoint();
    hangOnce(store.messages, 'changedSince');
    const sweep = createWebhookSweep({
      store,
      endpoints: async () => new Map([['default', await store.webhooks.listEnabled()]]),
      fanOut: { handle: async () => 0 } as never,
      lagMs: 0,
      maxAgeMs: 86_400_000,
      callTimeoutMs: 200,
    });
    await expect(sweep.run()).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(await sweep.run()).toBe(0);
  });

  it('does not wedge the webhook worker: the next round runs the due delivery', async () => {
    await addEndpoint();
    const now = new Date();
    await store.webhooks.enqueueDeliveries([
      { id: 'd1', workspaceId: 'default', endpointId: 'we_a', eventId: 'evt_1', eventType: 'message.sent', payload: '{}', retryUntil: new Date(now.getTime() + 3_600_000), nextAttemptAt: now },
    ]);
    hangOnce(store.webhooks, 'dueEndpoints');
    const attempted: string[] = [];
    const worker = createWebhookWorker({
      store,
      bus: { consume: async () => ({ cancel: async () => undefined }) } as never,
      logger: quiet,
      fanOut: { handle: async () => 0 } as never,
      deliverer: { attempt: async (d: WebhookDelivery) => void attempted.push(d.id) },
      config: { webhooks: { concurrencyPerEndpoint: 1, pollMs: 50, timeoutMs: 1_000, retentionDays: 1 }, store: { callTimeoutMs: 200 } },
    });
    await worker.start();
    stops.push(() => worker.stop());
    expect(await until(() => attempted.includes('d1'))).toBe(true);
  });
});

/** Every call of these methods answers, each after `ms` (a loaded store: slow, not stuck). */
function slowDown<T extends object>(repo: T, methods: Array<keyof T>, ms: number, inFlight: { now: number; max: number }): void {
  for (const method of methods) {
    const real = (repo[method] as (...a: unknown[]) => Promise<unknown>).bind(repo);
    jest.spyOn(repo as never, method as never).mockImplementation((async (...args: unknown[]) => {
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      try {
        await new Promise((r) => setTimeout(r, ms));
        return await real(...args);
      } finally {
        inFlight.now--;
      }
    }) as never);
  }
}

describe('a store that is slow but answers every call', () => {
  it('the scheduler does not give up a step that is making progress and run it again beside itself', async () => {
    const window = { startTime: new Date(), validUntil: new Date(Date.now() + 3_600_000), endTime: undefined };
    for (let i = 0; i < 12; i++) await store.notifications.create(notification(`n${i}`, window));
    // Each call 40 ms: the relay's 25 calls take ~1 s in all, each far within the 300 ms bound.
    const inFlight = { now: 0, max: 0 };
    slowDown(store.notifications, ['findByStatus', 'transition'], 40, inFlight);
    slowDown(store.messages, ['findStale', 'findExpired'], 40, inFlight);
    const published: string[] = [];
    const bus = { publish: async (queue: string, body: { notificationId?: string }) => void (queue === 'dispatch' && published.push(body.notificationId!)) };
    const config = loadConfig({ HERALD_SCHEDULER_MS: '50', HERALD_STORE_CALL_TIMEOUT_MS: '300' }, {});
    const scheduler = createScheduler({ store, bus: bus as never, config, logger: createLogger('test', { silent: true }), relayAfterMs: -60_000 });
    scheduler.start();
    stops.push(() => scheduler.stop());
    expect(await until(() => new Set(published).size >= 12)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    // One round at a time: its calls one after the other, never two steps (a given-up one still running) at once.
    expect(inFlight.max).toBe(1);
  });

  it('the campaign ticker does not give up a step that is making progress and run it again beside itself', async () => {
    for (let i = 0; i < 12; i++) {
      await store.campaigns.create({
        workspaceId: 'default', id: `c${i}`, name: `c${i}`, channel: 'sms', message: 'Hello', status: 'running',
        validityHours: 48, recipients: 1, run: { messages: 1, startedAt: new Date() },
      });
    }
    const inFlight = { now: 0, max: 0 };
    slowDown(store.campaigns, ['findDue', 'update'], 40, inFlight);
    const config = loadConfig({ HERALD_SCHEDULER_MS: '50', HERALD_STORE_CALL_TIMEOUT_MS: '300' }, {});
    const runs: string[] = [];
    const ticker = createCampaignTicker({ store, lifecycle: { publishRun: async (id: string) => void runs.push(id) } as never, config, logger: createLogger('test', { silent: true }), relayAfterMs: -60_000 });
    ticker.start();
    stops.push(() => ticker.stop());
    expect(await until(() => new Set(runs).size >= 12)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(inFlight.max).toBe(1);
  });
});
