// Switching providers at run time on MongoDB + RabbitMQ: a server and two separate SMS worker
// runtimes dispatch 5,000 messages; provider A is paused over HTTP a third of the way through.
// Counted at both fake Twilio APIs: zero lost, zero sent twice. Then failover without a pause.
import request from 'supertest';
import type { HeraldConfig } from '../../src/config';
import { startHerald, type RunningHerald, type Role } from '../../src/runtime';
import type { Store } from '../../src/store/store';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { disposeTestHerald, eventually, testConfig } from '../support/herald';
import { requireServices } from '../support/services';

const FROM = '+15005550006';

function twilioProvider(id: string, fake: FakeTwilio, authToken = fake.authToken) {
  return { id, type: 'twilio', options: { accountSid: fake.accountSid, authToken, from: FROM, apiUrl: fake.url } };
}

function start(config: HeraldConfig, role: Role, name: string): Promise<RunningHerald> {
  return startHerald({ role, config, silent: true, processName: name });
}

/** `count` users with distinct phones, all subscribed to program p / event type e over SMS. */
async function seedAudience(store: Store, count: number): Promise<void> {
  await store.programs.create('default', { id: 'p', name: 'Drive' });
  await store.eventTypes.create('default', { id: 'e', programId: 'p', name: 'Session', templates: { sms: { text: 'Hi {{user.name}}' } } });
  const BATCH = 250;
  for (let from = 0; from < count; from += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, count - from) }, (_, k) => from + k);
    await Promise.all(ids.map((i) => store.users.create('default', { id: `u${String(i).padStart(5, '0')}`, name: `User ${i}`, phone: `+2547${String(10_000_000 + i)}` })));
    await Promise.all(ids.map((i) => store.subscriptions.create('default', { id: `s${i}`, userId: `u${String(i).padStart(5, '0')}`, programId: 'p', channels: ['sms'] })));
  }
}

async function postNotification(url: string): Promise<string> {
  const r = await request(url).post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: new Date().toISOString() });
  expect(r.status).toBe(202);
  return r.body.id as string;
}

beforeAll(async () => {
  await requireServices(['mongo', 'amqp']);
});

describe('switching the SMS provider in the middle of a 5,000-message dispatch', () => {
  const TOTAL = 5000;
  let a: FakeTwilio;
  let b: FakeTwilio;
  let server: RunningHerald | undefined;
  const workers: RunningHerald[] = [];

  beforeAll(async () => {
    a = await startFakeTwilio();
    b = await startFakeTwilio();
    const config = testConfig('real', {
      'log.level': 'info',
      'providers.sms': [twilioProvider('sms-a', a), twilioProvider('sms-b', b)],
      'providers.refreshMs': 200,
      'worker.prefetch': 40,
      'dispatch.batchSize': 500,
    });
    server = await start(config, 'server', 'switch-server');
    workers.push(await start(config, 'sms', 'switch-sms-1'), await start(config, 'sms', 'switch-sms-2'));
    await seedAudience(server.store, TOTAL);
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) await w.stop();
    await disposeTestHerald(server);
    await a?.close();
    await b?.close();
  });

  it('pauses A over HTTP: every message reaches exactly one provider, once, and A stops within seconds', async () => {
    const started = Date.now();
    const id = await postNotification(server!.url!);
    await eventually('a third of the messages at provider A', () => a.received.length >= TOTAL / 3, 60_000, 10);
    const patched = await request(server!.url!).patch('/v1/providers/sms-a').send({ paused: true });
    const pausedAt = Date.now();
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: 'sms-a', type: 'twilio', channel: 'sms', state: 'paused' });
    const atPause = a.received.length;

    const counts = await eventually(
      'every message final',
      async () => {
        const c = await server!.store.messages.countByStatus(id);
        return (c.sent ?? 0) + (c.failed ?? 0) + (c.expired ?? 0) + (c.rejected ?? 0) === TOTAL ? c : undefined;
      },
      // ~20 s alone; slower when the whole suite shares the database server.
      100_000,
      250,
    );
    const lateAtA = a.received.filter((m) => m.at.getTime() > pausedAt + 3000).length;
    const recipients = [...a.received, ...b.received].map((m) => m.to);
    const duplicates = recipients.length - new Set(recipients).size;
    process.stdout.write(
      `switch test: ${TOTAL} messages in ${Date.now() - started} ms; A ${a.received.length} (${atPause} at the pause, ` +
        `${a.received.length - atPause} after, ${lateAtA} later than 3 s), B ${b.received.length}, duplicates ${duplicates}, statuses ${JSON.stringify(counts)}\n`,
    );

    expect(counts).toEqual({ sent: TOTAL });
    expect(a.received.length + b.received.length).toBe(TOTAL);
    expect(duplicates).toBe(0);
    expect(new Set(recipients).size).toBe(TOTAL);
    expect(b.received.length).toBeGreaterThan(TOTAL / 4);
    expect(lateAtA).toBe(0);

    // Both workers' counters reach the shared state: GET shows A paused with all of its sends.
    const providers = await eventually('counters flushed', async () => {
      const r = await request(server!.url!).get('/v1/providers');
      const sum = r.body.items.reduce((n: number, p: { sent: number }) => n + p.sent, 0);
      return sum === TOTAL ? r.body.items : undefined;
    }, 5000);
    const sms = providers.filter((p: { channel: string }) => p.channel === 'sms');
    expect(sms.map((p: { id: string; state: string; sent: number }) => [p.id, p.state, p.sent])).toEqual([
      ['sms-a', 'paused', a.received.length],
      ['sms-b', 'active', b.received.length],
    ]);
  }, 150_000);
});

describe('failover between SMS providers', () => {
  let a: FakeTwilio;
  let b: FakeTwilio;
  let herald: RunningHerald | undefined;

  afterEach(async () => {
    await disposeTestHerald(herald);
    herald = undefined;
    await a?.close();
    await b?.close();
  });

  it('moves every message from a provider answering 500 to the next one: all sent, none failed', async () => {
    a = await startFakeTwilio();
    b = await startFakeTwilio();
    a.failNext(10_000, 500);
    const config = testConfig('real', {
      'providers.sms': [twilioProvider('sms-a', a), twilioProvider('sms-b', b)],
      'providers.circuitFailures': 3,
      'worker.prefetch': 2,
    });
    herald = await start(config, 'all', 'failover');
    await seedAudience(herald.store, 20);
    const id = await postNotification(herald.url!);
    const counts = await eventually('all 20 sent', async () => {
      const c = await herald!.store.messages.countByStatus(id);
      return c.sent === 20 ? c : undefined;
    }, 30_000);
    expect(counts).toEqual({ sent: 20 });
    expect(a.received).toHaveLength(0);
    expect(new Set(b.received.map((m) => m.to)).size).toBe(20);
    expect(b.received).toHaveLength(20);
    const { items } = await herald.store.messages.list(id, {}, { limit: 100, offset: 0 });
    expect(items.every((m) => m.provider === 'sms-b')).toBe(true);
    // After three 500s in a row the worker's circuit for A is open: later messages go straight to B
    // (A gets only a trial now and then: spells of 1 s, 2 s, 4 s...).
    expect(a.requests.length).toBeLessThan(10);
    // As the process reports it (its sender thread's circuits with worker.senderThreads): 1 half-open, 2 open.
    const scrape = await request(herald.url!).get('/metrics').expect(200);
    expect(scrape.text).toMatch(/herald_circuit_state\{channel="sms",provider="sms-a"\} [12]\n/);
  }, 40_000);

  it('fails a message for good only when every provider has refused it, with the last error', async () => {
    a = await startFakeTwilio();
    b = await startFakeTwilio();
    const config = testConfig('real', {
      // Wrong credentials at both: 401, which no retry will fix, so each provider refuses once.
      'providers.sms': [twilioProvider('sms-a', a, 'wrong-a'), twilioProvider('sms-b', b, 'wrong-b')],
    });
    herald = await start(config, 'all', 'failover');
    await seedAudience(herald.store, 3);
    const id = await postNotification(herald.url!);
    const counts = await eventually('all 3 failed', async () => {
      const c = await herald!.store.messages.countByStatus(id);
      return c.failed === 3 ? c : undefined;
    }, 20_000);
    expect(counts).toEqual({ failed: 3 });
    const { items } = await herald.store.messages.list(id, {}, { limit: 10, offset: 0 });
    for (const m of items) {
      expect(m).toMatchObject({ provider: 'sms-b', attempts: 2, error: { code: 'AUTH' } });
      expect(m.statusHistory.filter((h) => h.reason?.startsWith('refused by provider')).map((h) => h.provider)).toEqual(['sms-a']);
    }
    expect(a.requests.filter((r) => r.status === 401)).toHaveLength(3);
    expect(b.requests.filter((r) => r.status === 401)).toHaveLength(3);
  }, 30_000);
});
