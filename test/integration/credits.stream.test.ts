// The live balance sees changes made by other processes: a stream held open on the server while
// two SMS worker processes send and refund (the gateway refuses some numbers) ends on the final
// balance. The server's own re-read is set to 10 minutes, so only the bus carries the changes.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { startFakeServer, type FakeServer } from '../support/fake-http-server';
import { disposeInstallation, startTestHerald, tempDir, testConfig } from '../support/herald';
import { freePort, heraldEnv, heraldProcess, startAll, stopAll, type HeraldProcess } from '../support/processes';
import { eventually, openStream } from '../support/credits';
import { requireServices } from '../support/services';

const USERS = 30;

describe('live balance across processes (MongoDB, RabbitMQ)', () => {
  let server: RunningHerald;
  let gateway: FakeServer;
  let workers: HeraldProcess[] = [];

  beforeAll(async () => {
    await requireServices(['mongo', 'amqp']);
    gateway = await startFakeServer(async (x) => {
      const to = String((x.json as { to?: string } | undefined)?.to ?? '');
      // Slow enough that the refunds land well after the server's one read following the fan-out.
      await new Promise((r) => setTimeout(r, 150));
      return to.endsWith('7') || to.endsWith('3') ? { status: 400, body: { error: 'refused' } } : { status: 200, body: { id: `gw-${Math.random()}` } };
    });
    const providers = [{ id: 'gw', type: 'http', options: { url: `${gateway.url}/send`, timeoutMs: 3000 } }];
    // The server holds the stream; it fans out (reserves) but sends nothing itself.
    server = await startTestHerald(
      testConfig('real', { 'credits.defaultBalance': 50, 'credits.streamCoalesceMs': 100, 'credits.streamPollMs': 600_000, 'providers.sms': providers }),
      'server',
    );
    const env = heraldEnv({
      mongodbUri: server.config.mongodbUri!,
      amqpUrl: server.config.amqpUrl!,
      amqpPrefix: server.config.amqpPrefix,
      dispatchPort: await freePort(),
      extra: { HERALD_SMS_PROVIDERS: JSON.stringify(providers), HERALD_PREFETCH: '4' },
    });
    const logDir = tempDir('herald-credits-stream-');
    workers = [heraldProcess({ role: 'sms', env: { ...env, HERALD_DATA_DIR: `${logDir}/a` }, logDir: `${logDir}` }), heraldProcess({ role: 'sms', env: { ...env, HERALD_DATA_DIR: `${logDir}/b` }, logDir: tempDir('herald-credits-stream-b-') })];
    await startAll(workers);
    const { store } = server;
    await store.programs.create('default', { id: 'p', name: 'Drive' });
    await store.eventTypes.create('default', { programId: 'p', id: 'e', name: 'Session', templates: { sms: { text: 'Hi {{user.name}}' } } });
    for (let i = 0; i < USERS; i++) {
      await store.users.create('default', { id: `u${i}`, name: `User ${i}`, phone: `+2547000002${String(i).padStart(2, '0')}` });
      await store.subscriptions.create('default', { id: `s${i}`, userId: `u${i}`, programId: 'p', channels: ['sms'] });
    }
  }, 120_000);

  afterAll(async () => {
    await stopAll(workers);
    await server?.stop();
    await gateway?.close();
    await disposeInstallation(server?.config.amqpUrl, server?.config.amqpPrefix, server?.config.mongodbUri);
  });

  it('ends on the final balance, having seen the workers refund', async () => {
    const stream = await openStream(`${server.url}/v1/workspaces/default/credits/stream`);
    try {
      await eventually('the current balance', () => stream.events.length === 1);
      expect(stream.events[0]).toMatchObject({ balance: 50 });
      const id = (await request(server.url!).post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: new Date().toISOString() }).expect(202)).body.id;
      const { store } = server;
      await eventually(
        'every message sent or failed',
        async () => {
          const c = await store.messages.countByStatus(id);
          return (c.sent ?? 0) + (c.failed ?? 0) === USERS;
        },
        60_000,
      );
      await eventually('nothing reserved', async () => (await store.credits.reserved('default')) === 0, 20_000);
      const counts = await store.messages.countByStatus(id);
      expect(counts.failed).toBeGreaterThan(0);
      const final = (await store.credits.get('default'))!.balance! / 1000;
      expect(final).toBe((50_000 - 100 * counts.sent!) / 1000);
      // Above what every reservation left: the refunds happened in the worker processes, after the fan-out.
      expect(final).toBeGreaterThan((50_000 - 100 * USERS) / 1000);
      // Only the workers' signals over the bus lead the stream there (the server's own re-read is 10 minutes away).
      await eventually('the stream on the final balance', () => stream.events.at(-1)?.balance === final, 10_000);
    } finally {
      stream.close();
    }
  }, 120_000);
});
