// A store call given up after store.callTimeoutMs (StoreTimeoutError) is not cancelled: it may still land
// afterwards. What the loop does next must not write the same thing a second time. MongoDB (mongo-java-server)
// behind a TCP proxy that stops relaying (stall) and then relays what it held (resume): the given-up
// write reaches the server late, as it does when a pool or a server is slow.
import { loadConfig } from '../../src/config';
import { createLogger, StoreLogTransport } from '../../src/log/logger';
import { openStore } from '../../src/runtime/parts';
import { startControlRefresh } from '../../src/services/provider-control';
import type { Store } from '../../src/store';
import { MONGO_BASE_URI, requireServices, uniqueMongoUri } from '../support/services';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

jest.setTimeout(60_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await cond()) && Date.now() < end) await sleep(50);
  return cond();
};
const quiet = { info() {}, warn() {}, debug() {}, error() {} } as never;

describe('a store call that answers after its bound', () => {
  let proxy: TcpProxy;
  let store: Store;

  beforeAll(async () => {
    await requireServices(['mongo']);
    const base = new URL(MONGO_BASE_URI);
    proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port || 27017) });
    const uri = new URL(uniqueMongoUri('herald_late'));
    uri.port = String(proxy.port);
    // The driver waits far longer than the loops' bound: the given-up call is still alive when the proxy resumes.
    const config = loadConfig({ HERALD_MONGO_SOCKET_TIMEOUT_MS: '30000' }, { mongodbUri: uri.toString(), dataDir: '/tmp', seedDemoData: 'never' });
    store = await openStore(config, createLogger('test', { silent: true }));
  });
  afterEach(() => proxy.resume());
  afterAll(async () => {
    proxy?.resume();
    await store?.close().catch(() => undefined);
    await proxy?.close();
  });

  it('the log sink writes a line once, not again after its given-up append landed', async () => {
    const sink = new StoreLogTransport(store.logs, { flushMs: 10, callTimeoutMs: 300 });
    const line = (message: string) => ({ time: new Date(), level: 'info', process: 'late-test', message });
    const count = async (message: string) => (await store.logs.query({ process: 'late-test', limit: 100 })).filter((l) => l.message === message).length;
    proxy.stall();
    sink.pushLine(line('first'));
    // The append of 'first' waits in the proxy past its bound.
    await sleep(800);
    proxy.resume();
    sink.pushLine(line('second'));
    expect(await until(async () => (await count('second')) === 1)).toBe(true);
    // Any retry of the first batch would have gone with or before 'second'; give a late one time anyway.
    await sleep(2_500);
    await sink.flush();
    expect(await count('first')).toBe(1);
    expect(await count('second')).toBe(1);
    sink.close();
  });

  it('the provider refresh counts a period of activity once, not again after its given-up write landed', async () => {
    await store.providerControl.ensure({ id: 'sms-late', channel: 'sms', paused: false, order: 0, weight: 0 });
    let handOver = true;
    let stallNext = true;
    const router = {
      applyControl: () => {
        // Between the read and the activity write: the write is the call that waits past its bound.
        if (stallNext) proxy.stall();
        stallNext = false;
      },
      drainActivity: () => (handOver ? ((handOver = false), [{ id: 'sms-late', sent: 5, failed: 1 }]) : []),
    };
    const refresh = startControlRefresh({ store, routers: [router], intervalMs: 3_600_000, logger: quiet, callTimeoutMs: 300 });
    await refresh.refresh();
    proxy.resume();
    const row = async () => (await store.providerControl.list()).find((r) => r.id === 'sms-late');
    expect(await until(async () => ((await row())?.sent ?? 0) > 0)).toBe(true);
    await refresh.refresh();
    await refresh.stop();
    const r = await row();
    expect(r?.sent).toBe(5);
    expect(r?.failed).toBe(1);
  });
});
