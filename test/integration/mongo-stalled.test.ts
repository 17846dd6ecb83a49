// MongoDB that stops answering (a TCP proxy that keeps the connections open and relays nothing):
// a store call fails within the configured socket timeout (HERALD_MONGO_SOCKET_TIMEOUT_MS) instead of
// holding its caller, and the store answers again once MongoDB does. The timeout was 20 s, fixed.
import { loadConfig } from '../../src/config';
import { StoreUnavailableError } from '../../src/domain/errors';
import { createLogger } from '../../src/log/logger';
import { openStore } from '../../src/runtime/parts';
import { watchStore } from '../../src/runtime/store-watchdog';
import { createMongoStore } from '../../src/store/mongo';
import type { Store } from '../../src/store';
import { MONGO_BASE_URI, requireServices, uniqueMongoUri } from '../support/services';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MongoDB that stops answering', () => {
  let proxy: TcpProxy;
  let store: Store | undefined;

  beforeAll(async () => {
    await requireServices(['mongo']);
    const base = new URL(MONGO_BASE_URI);
    proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port || 27017) });
  });
  afterAll(async () => {
    proxy?.resume();
    await store?.close().catch(() => undefined);
    await proxy?.close();
  });

  it('fails a call after the configured socket timeout, then answers again', async () => {
    const uri = new URL(uniqueMongoUri('herald_stall'));
    uri.port = String(proxy.port);
    const config = loadConfig(
      { HERALD_MONGO_SOCKET_TIMEOUT_MS: '1000', HERALD_MONGO_SERVER_SELECTION_MS: '1000' },
      { mongodbUri: uri.toString(), dataDir: '/tmp', seedDemoData: 'never' },
    );
    expect(config.store.mongo.socketTimeoutMs).toBe(1000);
    store = await openStore(config, createLogger('test', { silent: true }));
    expect(await store.providerControl.list()).toEqual([]);

    proxy.stall();
    // Far longer than the configured second, far shorter than the old fixed 20 s.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      store.providerControl.list().then(() => 'answered', (e: unknown) => e),
      new Promise((r) => (timer = setTimeout(() => r('still waiting after 8 s'), 8_000))),
    ]);
    clearTimeout(timer);
    expect(outcome).toBeInstanceOf(StoreUnavailableError);

    proxy.resume();
    let back = false;
    for (let i = 0; i < 100 && !back; i++) {
      back = await store.providerControl.list().then(() => true, () => false);
      if (!back) await sleep(200);
    }
    expect(back).toBe(true);
  });

  it('bounds each round trip, not a long walk: a subscriber cursor slower than the socket timeout in all completes', async () => {
    const s = store!;
    const pad = (i: number) => `u${String(i).padStart(3, '0')}`;
    for (let i = 0; i < 8; i++) {
      await s.users.create('default', { id: pad(i), name: pad(i), phone: '+254700000000', email: `${pad(i)}@example.org` });
      await s.subscriptions.create('default', { id: `d${i}`, userId: pad(i), programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
    }
    const seen: string[] = [];
    const started = Date.now();
    // 4 batches of 2, 600 ms of work after each: the walk lasts longer than the 1 s socket timeout.
    for await (const b of s.subscriptions.subscriberBatches('default', 'p1', 'e1', undefined, 2)) {
      seen.push(...b.map((x) => x.user.id));
      await sleep(600);
    }
    expect(Date.now() - started).toBeGreaterThan(1_000);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(pad));
  });

  it('keeps the store watchdog going past a ping that never answers: it reopens the connection', async () => {
    const s = createMongoStore(uniqueMongoUri('herald_watchdog'));
    await s.connect();
    const ping = jest.spyOn(s, 'ping').mockImplementation(() => new Promise(() => undefined));
    const connect = jest.spyOn(s, 'connect');
    const dog = watchStore(s, { info() {}, warn() {} } as never, { everyMs: 50, failuresBeforeReopen: 3, pingTimeoutMs: 100 });
    try {
      for (let i = 0; i < 100 && connect.mock.calls.length === 0; i++) await sleep(50);
      expect(connect).toHaveBeenCalled();
    } finally {
      ping.mockRestore();
      await dog.stop();
      await s.close();
    }
  });
});
