// A busy run through the real pipeline with metering on: more messages than the balance covers,
// provider failures, a window that closes mid-run and a cancel. Afterwards the ledger adds up to
// the balance, nothing stays reserved, and every final message carries exactly one net charge.
import request from 'supertest';
import { INSUFFICIENT_CREDIT } from '../../src/domain/credits';
import type { Message } from '../../src/domain/types';
import type { RunningHerald } from '../../src/runtime';
import { startFakeServer, type FakeServer } from '../support/fake-http-server';
import { disposeInstallation, startTestHerald, testConfig, type Backend } from '../support/herald';
import { requireServices } from '../support/services';
import { eventually } from '../support/credits';

const USERS = 40;
const PRICE = 100; // milli-credits: 0.1 credit per one-segment SMS
const phone = (i: number) => `+2547000001${String(i).padStart(2, '0')}`;
const HANDED_OVER = new Set(['sent', 'delivered', 'undelivered']);
const UNSENT_END = new Set(['failed', 'expired', 'cancelled', 'rejected']);

describe.each<Backend>(['embedded', 'real'])('credits through a busy pipeline (%s)', (backend) => {
  let herald: RunningHerald;
  let gateway: FakeServer;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    // Slow enough that later notifications wait in the queue; numbers ending in 9 are refused for good.
    gateway = await startFakeServer(async (x) => {
      const to = String((x.json as { to?: string } | undefined)?.to ?? '');
      if (to.endsWith('9')) return { status: 400, body: { error: 'unknown subscriber' } };
      // 2 in flight x 150 ms: the first notification alone outlasts the second's 2 s window, however fast the machine.
      await new Promise((r) => setTimeout(r, 150));
      return { status: 200, body: { id: `gw-${Math.random().toString(36).slice(2)}` } };
    });
    herald = await startTestHerald(
      testConfig(backend, {
        'credits.defaultBalance': 9,
        'worker.prefetch': 2,
        'dispatch.batchSize': 10,
        'providers.sms': [{ id: 'gw', type: 'http', options: { url: `${gateway.url}/send`, timeoutMs: 3000 } }],
      }),
    );
    const { store } = herald;
    await store.programs.create('default', { id: 'p', name: 'Drive' });
    await store.eventTypes.create('default', { programId: 'p', id: 'e', name: 'Session', templates: { sms: { text: 'Hi {{user.name}}' } } });
    for (let i = 0; i < USERS; i++) {
      await store.users.create('default', { id: `u${String(i).padStart(2, '0')}`, name: `User ${i}`, phone: phone(i) });
      await store.subscriptions.create('default', { id: `s${i}`, userId: `u${String(i).padStart(2, '0')}`, programId: 'p', channels: ['sms'] });
    }
  }, 60_000);

  afterAll(async () => {
    await herald?.stop();
    await gateway?.close();
    if (backend === 'real') await disposeInstallation(herald.config.amqpUrl, herald.config.amqpPrefix, herald.config.mongodbUri);
  });

  it('ends with the ledger equal to the balance and one net charge per final message', async () => {
    const post = async (endInMs?: number) => {
      const start = new Date();
      const body = { programId: 'p', eventTypeId: 'e', startTime: start.toISOString(), ...(endInMs ? { endTime: new Date(start.getTime() + endInMs).toISOString() } : {}) };
      return (await request(herald.url!).post('/v1/notifications').send(body).expect(202)).body.id as string;
    };
    const store = herald.store;
    const open = await post();
    // Queued behind the first one's 40 messages (fan-outs starting together would share queue messages,
    // in any order): 36 of them take 150 ms each, 2 at a time, longer than this 2 s window.
    await eventually('the first fan-out', async () => (await store.notifications.get(open))?.status === 'dispatched', 20_000);
    const closing = await post(2000);
    const cancelled = await post();
    await eventually('the third fan-out', async () => (await store.notifications.get(cancelled))?.status === 'dispatched', 20_000);
    await request(herald.url!).post(`/v1/notifications/${cancelled}/cancel`).expect(200);

    const all = async (): Promise<Message[]> => (await Promise.all([open, closing, cancelled].map((id) => store.messages.list(id, {}, { limit: 100, offset: 0 })))).flatMap((p) => p.items);
    await eventually('every message handed over or ended', async () => (await all()).every((m) => HANDED_OVER.has(m.status) || UNSENT_END.has(m.status)), 60_000);
    await eventually('nothing reserved any more', async () => (await store.credits.reserved('default')) === 0, 20_000);

    const messages = await all();
    const byStatus = (s: string) => messages.filter((m) => m.status === s).length;
    expect(messages).toHaveLength(3 * USERS);
    // The run exercised every path it claims to.
    expect({ failed: byStatus('failed') > 0, expired: byStatus('expired') > 0, cancelled: byStatus('cancelled') > 0, sent: byStatus('sent') > 0 }).toEqual({
      failed: true, expired: true, cancelled: true, sent: true,
    });
    const noCredit = messages.filter((m) => m.statusHistory.some((h) => h.reason === INSUFFICIENT_CREDIT));
    // 9 credits cover 90 messages at fan-out; refunds of early failures may cover a few more.
    expect(noCredit.length).toBeGreaterThan(0);
    expect(noCredit.length).toBeLessThanOrEqual(3 * USERS - 90);
    expect(noCredit.every((m) => m.status === 'rejected' && m.error?.code === 'INSUFFICIENT_CREDIT')).toBe(true);
    const warned = await Promise.all([open, closing, cancelled].map((id) => store.notifications.get(id)));
    const warnedCount = warned.flatMap((n) => n?.warnings ?? []).filter((w) => w.startsWith(INSUFFICIENT_CREDIT)).map((w) => Number.parseInt(w.split(': ')[1], 10));
    expect(warnedCount.reduce((a, b) => a + b, 0)).toBe(noCredit.length);

    const entries = (await store.credits.ledger('default', {}, { limit: 500, offset: 0 })).items;
    const net = new Map<string, number>();
    const count = new Map<string, number>();
    for (const e of entries.filter((x) => x.messageId)) {
      net.set(e.messageId!, (net.get(e.messageId!) ?? 0) + e.amount);
      count.set(`${e.messageId}:${e.kind}`, (count.get(`${e.messageId}:${e.kind}`) ?? 0) + 1);
    }
    for (const m of messages) {
      expect([m.id, m.status, net.get(m.id) ?? 0]).toEqual([m.id, m.status, HANDED_OVER.has(m.status) ? -PRICE : 0]);
    }
    expect([...count.values()].every((n) => n === 1)).toBe(true);

    const account = await store.credits.get('default');
    expect(account!.balance).toBe(9000 - PRICE * messages.filter((m) => HANDED_OVER.has(m.status)).length);
    expect(await store.credits.ledgerSum('default')).toBe(account!.balance);
    const summary = (await request(herald.url!).get('/v1/workspaces/default/credits').expect(200)).body;
    expect(summary).toMatchObject({ balance: account!.balance! / 1000, reserved: 0 });
  }, 120_000);
});
