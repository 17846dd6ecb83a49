// kill -9 of the process running webhook attempts, mid-attempt: after a restart on the same data,
// every event is delivered (nothing lost), each at most once more than it was tried (at least once),
// with the same event id (webhook-id) on the retry, and every delivery ends succeeded.
import { createSqliteStore } from '../../src/store/sqlite';
import type { RunningHerald } from '../../src/runtime';
import { freePort } from '../support/processes';
import { eventually, startTestHerald, tempDir, testConfig } from '../support/herald';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { embeddedEnv, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(120_000);

const USERS = 4;

describe('webhook worker killed mid-attempt', () => {
  let child: LongRunning | undefined;
  let herald: RunningHerald | undefined;
  let receiver: Receiver;
  afterAll(async () => {
    await receiver?.close();
    if (child) await stopChild(child, 'SIGKILL');
    await herald?.stop();
  });

  it('loses nothing and duplicates nothing beyond at-least-once, the same event id again', async () => {
    // The first request of each event is held open (the process dies during it); later ones succeed.
    receiver = await startReceiver((_r, nth) => (nth === 1 ? 'hang' : { status: 200 }));
    const dataDir = tempDir('herald-webhooks-crash-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const webhookEnv = {
      HERALD_WEBHOOKS_ALLOW_PRIVATE: 'true', HERALD_WEBHOOKS_TIMEOUT_MS: '1500', HERALD_WEBHOOKS_POLL_MS: '50',
      HERALD_WEBHOOKS_RETRY_BASE_MS: '100', HERALD_WEBHOOKS_RETRY_MAX_MS: '200', HERALD_WEBHOOKS_ENDPOINT_CACHE_MS: '0',
    };
    const seed = createSqliteStore(`${dataDir}/herald.db`);
    await seed.connect();
    await seed.programs.create('default', { id: '1', name: 'Drive' });
    await seed.eventTypes.create('default', { id: '1', programId: '1', name: 'Session', templates: { sms: { text: 'Hi {{user.name}}' } } });
    for (let i = 0; i < USERS; i++) {
      await seed.users.create('default', { id: `u${i}`, name: `u${i}`, phone: `+25470000000${i}` });
      await seed.subscriptions.create('default', { id: `s${i}`, userId: `u${i}`, programId: '1', channels: ['sms'] });
    }
    await seed.close();

    child = await startHeraldChild(['all'], embeddedEnv(dataDir, { DISPATCH_PORT: String(port), LOG_LEVEL: 'warn', ...webhookEnv }));
    const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const ep = (await (await post('/v1/webhooks', { url: `${receiver.url}/crash`, events: ['message.sent'] })).json()) as { id: string };
    expect(ep.id).toMatch(/^we_/);
    const n = (await (await post('/v1/notifications', { programId: '1', eventTypeId: '1', startTime: new Date().toISOString() })).json()) as { id: string };
    const eventIds = () => [...new Set(receiver.received.map((r) => r.headers['webhook-id'] as string))];
    await eventually('every message.sent webhook in flight', () => eventIds().length === USERS, 60_000, 20);
    const killed = await stopChild(child, 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    child = undefined;
    expect(receiver.received).toHaveLength(USERS);

    herald = await startTestHerald(
      testConfig('embedded', { dataDir, 'webhooks.allowPrivate': true, 'webhooks.timeoutMs': 1500, 'webhooks.pollMs': 50, 'webhooks.retryBaseMs': 100, 'webhooks.retryMaxMs': 200 }),
    );
    const done = await eventually('every delivery succeeded after the restart', async () => {
      const page = await herald!.store.webhooks.listDeliveries('default', ep.id, {}, { limit: 100, offset: 0 });
      return page.total === USERS && page.items.every((d) => d.state === 'succeeded') ? page.items : undefined;
    }, 60_000);
    // Each event: the attempt the kill cut short, then one retry with the same id; nothing else.
    for (const id of eventIds()) {
      const got = receiver.forEvent(id);
      expect({ id, requests: got.length, sameBody: got[1]?.body === got[0].body }).toEqual({ id, requests: 2, sameBody: true });
    }
    expect(receiver.received).toHaveLength(2 * USERS);
    const messageIds = receiver.received.map((r) => r.json.data.messageId as string);
    expect(new Set(messageIds)).toEqual(new Set(Array.from({ length: USERS }, (_, i) => `${n.id}:u${i}:sms`)));
    expect(done.every((d) => d.attemptCount === 1)).toBe(true);
  });
});
