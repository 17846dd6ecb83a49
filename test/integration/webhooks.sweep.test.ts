// kill -9 of the process that changed message statuses, while their webhook events are still in its
// emitter's buffer (the flush delay is set to 10 minutes, so the window is certain): after a restart
// on the same data, the webhook worker's catch-up sweep delivers every status event anyway, and the
// live path and the sweep together never deliver one status change twice (nor under two event ids).
import type { RunningHerald } from '../../src/runtime';
import { createMongoStore } from '../../src/store/mongo';
import { createSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { WEBHOOK_MESSAGE_STATUSES } from '../../src/domain/webhooks';
import { disposeInstallation, eventually, startTestHerald, tempDir, testConfig } from '../support/herald';
import { freePort, heraldEnv } from '../support/processes';
import { AMQP_URL, requireServices, uniqueMongoUri, uniqueName } from '../support/services';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { embeddedEnv, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(180_000);

const USERS = 4;
const TOLD = new Set<string>(WEBHOOK_MESSAGE_STATUSES);

/** (messageId, status) of every status change the store's messages went through that clients are told about. */
async function changesIn(store: Store, notificationIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of notificationIds) {
    const page = await store.messages.list(id, {}, { limit: 100, offset: 0 });
    for (const m of page.items) {
      m.statusHistory.forEach((h, i) => {
        if (TOLD.has(h.status) && (i === 0 || m.statusHistory[i - 1].status !== h.status)) out.push(`${m.id} ${h.status}`);
      });
    }
  }
  return out.sort();
}

describe.each(['embedded', 'real'] as const)('webhook events of a process killed before its emitter flushed (%s)', (backend) => {
  let child: LongRunning | undefined;
  let herald: RunningHerald | undefined;
  let receiver: Receiver;
  let seed: Store;
  let mongodbUri: string | undefined;
  const amqpPrefix = uniqueName('t');
  afterAll(async () => {
    await receiver?.close();
    if (child) await stopChild(child, 'SIGKILL');
    await herald?.stop();
    await seed?.close();
    if (backend === 'real') await disposeInstallation(AMQP_URL, amqpPrefix, mongodbUri);
  });

  it('delivers every status event after the restart, each once, under one event id', async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    receiver = await startReceiver(() => ({ status: 200 }));
    const dataDir = tempDir('herald-webhooks-sweep-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    mongodbUri = backend === 'real' ? uniqueMongoUri() : undefined;
    seed = mongodbUri ? createMongoStore(mongodbUri) : createSqliteStore(`${dataDir}/herald.db`);
    await seed.connect();
    await seed.programs.create('default', { id: '1', name: 'Drive' });
    await seed.eventTypes.create('default', { id: '1', programId: '1', name: 'Session', templates: { sms: { text: 'Hi {{user.name}}' } } });
    for (let i = 0; i < USERS; i++) {
      await seed.users.create('default', { id: `u${i}`, name: `u${i}`, phone: `+25470000000${i}` });
      await seed.subscriptions.create('default', { id: `s${i}`, userId: `u${i}`, programId: '1', channels: ['sms'] });
    }

    // The first process never flushes its buffer (10 minutes) nor sweeps recent changes (10 minutes behind).
    const webhookEnv = {
      HERALD_WEBHOOKS_ALLOW_PRIVATE: 'true', HERALD_WEBHOOKS_POLL_MS: '50', HERALD_WEBHOOKS_ENDPOINT_CACHE_MS: '0',
      HERALD_WEBHOOKS_FLUSH_MS: '600000', HERALD_WEBHOOKS_SWEEP_MS: '100', HERALD_WEBHOOKS_SWEEP_LAG_MS: '600000',
      DISPATCH_PORT: String(port), LOG_LEVEL: 'warn',
    };
    const env =
      backend === 'embedded'
        ? embeddedEnv(dataDir, webhookEnv)
        : { PATH: process.env.PATH ?? '/usr/bin:/bin', HERALD_DATA_DIR: dataDir, ...heraldEnv({ mongodbUri: mongodbUri!, amqpUrl: AMQP_URL, amqpPrefix, dispatchPort: port, extra: webhookEnv }) };
    child = await startHeraldChild(['all'], env);
    const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const ep = (await (await post('/v1/webhooks', { url: `${receiver.url}/sweep` })).json()) as { id: string };
    expect(ep.id).toMatch(/^we_/);
    const n1 = (await (await post('/v1/notifications', { programId: '1', eventTypeId: '1', startTime: new Date().toISOString() })).json()) as { id: string };
    await eventually('every message handed to the provider', async () => {
      const page = await seed.messages.list(n1.id, {}, { limit: 100, offset: 0 });
      return page.total === USERS && page.items.every((m) => m.status === 'sent' || m.status === 'delivered');
    }, 60_000, 20);
    const killed = await stopChild(child, 'SIGKILL');
    child = undefined;
    expect(killed.signal).toBe('SIGKILL');
    // Every event was still in the dead process's buffer.
    expect(receiver.received).toHaveLength(0);
    const lost = await changesIn(seed, [n1.id]);
    expect(lost.length).toBeGreaterThanOrEqual(USERS);

    herald = await startTestHerald(
      testConfig(backend, {
        dataDir, ...(mongodbUri ? { mongodbUri, amqpUrl: AMQP_URL, amqpPrefix } : {}),
        'webhooks.allowPrivate': true, 'webhooks.pollMs': 50, 'webhooks.endpointCacheMs': 0, 'webhooks.sweepMs': 100, 'webhooks.sweepLagMs': 300,
      }),
    );
    const received = () => receiver.received.map((r) => `${r.json.data.messageId} ${r.json.data.status}`).sort();
    await eventually('every lost status event delivered after the restart', () => lost.every((c) => received().includes(c)), 60_000);

    // Now the live path and the sweep both see the changes of a second notification.
    const r2 = await fetch(`${herald.url}/v1/notifications`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ programId: '1', eventTypeId: '1', startTime: new Date().toISOString() }) });
    const second = (await r2.json()) as { id: string };
    await eventually('the second notification handed over and told', async () => {
      const page = await herald!.store.messages.list(second.id, {}, { limit: 100, offset: 0 });
      const handed = page.total === USERS && page.items.every((m) => m.status === 'sent' || m.status === 'delivered');
      const want = await changesIn(herald!.store, [n1.id, second.id]);
      return handed && want.every((c) => received().includes(c));
    }, 60_000);
    // Several sweep rounds past the lag: nothing more comes.
    await new Promise((r) => setTimeout(r, 1_500));
    const want = await changesIn(herald.store, [n1.id, second.id]);
    expect(received()).toEqual(want);
    const ids = receiver.received.map((r) => r.headers['webhook-id'] as string);
    expect(new Set(ids).size).toBe(ids.length);
    const deliveries = await herald.store.webhooks.listDeliveries('default', ep.id, {}, { limit: 500, offset: 0 });
    expect(deliveries.total).toBe(want.length);
  });
});
