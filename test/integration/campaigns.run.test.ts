// A campaign through the real pipeline, on the embedded default and on MongoDB + RabbitMQ: every
// recipient gets exactly one SMS; pause stops sends within seconds and resume finishes without
// duplicates; a run the balance cannot cover pauses for credit, leaves the rest unsent, and
// finishes after a top-up without sending anything twice; a campaign's provider is used.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { startFakeServer, type FakeServer } from '../support/fake-http-server';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { disposeInstallation, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';
import { requireServices } from '../support/services';

const phone = (i: number) => `+2547001${String(i).padStart(5, '0')}`;
const recipients = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ phone: phone(from + i), name: `Student ${from + i}` }));

/** A gateway that records every number it was asked to send to. */
async function gateway(delayMs = 0): Promise<FakeServer & { sent: string[] }> {
  const sent: string[] = [];
  const server = await startFakeServer(async (x) => {
    const to = String((x.json as { to?: string } | undefined)?.to ?? '');
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    sent.push(to);
    return { status: 200, body: { id: `gw-${sent.length}` } };
  });
  return Object.assign(server, { sent });
}

const dupes = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

describe.each<Backend>(['embedded', 'real'])('campaigns through the pipeline (%s)', (backend) => {
  let herald: RunningHerald;
  let fast: FakeServer & { sent: string[] };
  let slow: FakeServer & { sent: string[] };
  let broken: FakeServer & { tried: string[] };
  let api: () => ReturnType<typeof request>;
  let receiver: Receiver;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    receiver = await startReceiver();
    fast = await gateway();
    slow = await gateway(100);
    const tried: string[] = [];
    broken = Object.assign(
      await startFakeServer((x) => {
        tried.push(String((x.json as { to?: string } | undefined)?.to ?? ''));
        return { status: 400, body: { error: 'refused' } };
      }),
      { tried },
    );
    herald = await startTestHerald(
      testConfig(backend, {
        'credits.defaultBalance': 1000,
        'worker.prefetch': 4,
        'dispatch.batchSize': 10,
        'dispatch.messagesPerDelivery': 5,
        'webhooks.allowPrivate': true,
        'webhooks.pollMs': 50,
        'webhooks.endpointCacheMs': 100,
        'providers.sms': [
          { id: 'fast', type: 'http', options: { url: `${fast.url}/send`, timeoutMs: 3000 } },
          { id: 'slow', type: 'http', options: { url: `${slow.url}/send`, timeoutMs: 3000 } },
          { id: 'broken', type: 'http', options: { url: `${broken.url}/send`, timeoutMs: 3000 } },
        ],
      }),
    );
    api = () => request(herald.url!);
  }, 60_000);

  afterAll(async () => {
    await herald?.stop();
    await fast?.close();
    await slow?.close();
    await broken?.close();
    await receiver?.close();
    if (backend === 'real' && herald) await disposeInstallation(herald.config.amqpUrl, herald.config.amqpPrefix, herald.config.mongodbUri);
  });

  const get = async (id: string) => (await api().get(`/v1/campaigns/${id}`).expect(200)).body;

  it('sends one SMS per distinct number, rendered per recipient, and completes', async () => {
    await api().post('/v1/webhooks').send({ url: receiver.url, events: ['campaign.completed'] }).expect(201);
    const events: Array<{ kind: string; id: string }> = [];
    const stop = herald.campaigns.events.on((e) => void events.push({ kind: e.kind, id: e.campaign.id }));
    const list = [...recipients(24), { phone: phone(3), name: 'again' }, { phone: '254700100005' }];
    const created = await api().post('/v1/campaigns').send({ name: 'fees', message: 'Hello {{name}}, fees are due', recipients: list, provider: 'fast' }).expect(201);
    expect(created.body).toMatchObject({ status: 'draft', recipients: 24, counts: { unsent: 24 } });
    const estimate = (await api().get(`/v1/campaigns/${created.body.id}/estimate`).expect(200)).body;
    expect(estimate).toMatchObject({ messages: 24, segments: 24, credits: 2.4, covered: true });
    await api().post(`/v1/campaigns/${created.body.id}/run`).expect(200);
    const done = await eventually('the campaign completed', async () => ((await get(created.body.id)).status === 'completed' ? get(created.body.id) : null), 30_000);
    expect(done.counts).toEqual({ sent: 24, unsent: 0 });
    // The hook other parts (webhooks, the dashboard) listen on.
    await eventually('the completed event', () => events.some((e) => e.kind === 'completed' && e.id === created.body.id), 5_000);
    stop();
    // The client webhook, once.
    const hook = await eventually('the campaign.completed webhook', () => receiver.received.find((r) => JSON.parse(r.body).data?.campaignId === created.body.id), 10_000);
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'campaign.completed', workspaceId: 'default', data: { name: 'fees', recipients: 24, counts: { sent: 24 } } });
    // Segments and credits come from the usage counters, written every 100 ms: they catch up with the counts.
    const spent = await eventually('segments and credits caught up', async () => {
      const c = await get(created.body.id);
      return c.segments === 24 ? c : null;
    }, 5_000);
    expect(spent.creditsSpent).toBe(2.4);
    const mine = fast.sent.filter((to) => list.some((r) => r.phone === to || `+${r.phone}` === to));
    expect(mine.sort()).toEqual(recipients(24).map((r) => r.phone).sort());
    const page = (await api().get(`/v1/campaigns/${created.body.id}/messages?limit=100`).expect(200)).body;
    expect(page.total).toBe(24);
    expect(page.items.find((m: { to: string }) => m.to === phone(3)).content.text).toBe('Hello Student 3, fees are due');
    expect(page.items.every((m: { campaignId: string }) => m.campaignId === created.body.id)).toBe(true);
    // The same messages as CSV: a header and one row per message, each with its credits (0.1 per segment).
    const csv = (await api().get(`/v1/campaigns/${created.body.id}/messages.csv`).expect(200)).text.trim().split('\n');
    expect(csv).toHaveLength(25);
    expect(csv[0]).toMatch(/^id,notificationId,/);
    expect(csv.slice(1).every((row: string) => row.startsWith(`${created.body.id}:`) && row.includes(',sent,1,0.1,'))).toBe(true);
    await api().get('/v1/campaigns/no-such-campaign/messages.csv').expect(404);
    const day = new Date().toISOString().slice(0, 10);
    const usage = (await api().get(`/v1/campaigns/${created.body.id}/usage?start=${day}&end=${day}T23:59:59Z&every=1day`).expect(200)).body;
    expect(usage.items[0]).toMatchObject({ messages: 24, sent: 24, segments: 24, creditsCharged: 2.4, creditsRefunded: 0 });
  }, 60_000);

  it('cancel ends the unsent messages cancelled and sends no more', async () => {
    const list = recipients(40, 3000);
    const c = (await api().post('/v1/campaigns').send({ name: 'cancel me', message: 'Hi', recipients: list, provider: 'slow', strictProvider: true }).expect(201)).body;
    await api().post(`/v1/campaigns/${c.id}/run`).expect(200);
    await eventually('some sent', () => slow.sent.filter((to) => list.some((r) => r.phone === to)).length >= 4, 20_000);
    const cancelled = (await api().post(`/v1/campaigns/${c.id}/cancel`).expect(200)).body;
    expect(cancelled.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 2500));
    const atCancel = slow.sent.filter((to) => list.some((r) => r.phone === to)).length;
    await new Promise((r) => setTimeout(r, 2000));
    expect(slow.sent.filter((to) => list.some((r) => r.phone === to)).length).toBe(atCancel);
    const after = await get(c.id);
    expect(after.counts.sent).toBe(atCancel);
    expect(after.counts.cancelled).toBe(40 - atCancel);
    await api().post(`/v1/campaigns/${c.id}/resume`).expect(409);
  }, 60_000);

  it("tries the campaign's provider first and fails over, unless strictProvider", async () => {
    const list = recipients(3, 4000);
    const loose = (await api().post('/v1/campaigns').send({ name: 'failover', message: 'Hi', recipients: list, provider: 'broken' }).expect(201)).body;
    await api().post(`/v1/campaigns/${loose.id}/run`).expect(200);
    await eventually('sent after failover', async () => (await get(loose.id)).status === 'completed', 30_000);
    expect((await get(loose.id)).counts).toEqual({ sent: 3, unsent: 0 });
    expect(broken.tried.filter((to) => list.some((r) => r.phone === to)).sort()).toEqual(list.map((r) => r.phone).sort());
    const strictList = recipients(2, 4100);
    const strict = (await api().post('/v1/campaigns').send({ name: 'strict', message: 'Hi', recipients: strictList, provider: 'broken', strictProvider: true }).expect(201)).body;
    await api().post(`/v1/campaigns/${strict.id}/run`).expect(200);
    await eventually('failed at its own provider', async () => (await get(strict.id)).counts.failed === 2, 30_000);
    expect([...fast.sent, ...slow.sent].filter((to) => strictList.some((r) => r.phone === to))).toEqual([]);
  }, 60_000);

  it('pause stops handing messages to providers within seconds; resume sends the rest, none twice', async () => {
    const list = recipients(60, 1000);
    const c = (await api().post('/v1/campaigns').send({ name: 'pause me', message: 'Hi {{name}}', recipients: list, provider: 'slow', strictProvider: true }).expect(201)).body;
    await api().post(`/v1/campaigns/${c.id}/run`).expect(200);
    await eventually('some sent', () => slow.sent.length >= 8, 20_000);
    const paused = (await api().post(`/v1/campaigns/${c.id}/pause`).expect(200)).body;
    expect(paused).toMatchObject({ status: 'paused', pauseReason: 'operator' });
    // In-flight attempts finish; after that nothing more goes out while paused.
    await new Promise((r) => setTimeout(r, 2500));
    const atPause = slow.sent.length;
    await new Promise((r) => setTimeout(r, 2500));
    expect(slow.sent.length).toBe(atPause);
    expect(atPause).toBeLessThan(60);
    const held = await get(c.id);
    expect((held.counts.queued ?? 0) + (held.counts.unsent ?? 0)).toBeGreaterThan(0);
    expect(held.counts.failed).toBeUndefined();
    await api().post(`/v1/campaigns/${c.id}/resume`).expect(200);
    await eventually('the campaign completed', async () => (await get(c.id)).status === 'completed', 40_000);
    const mine = slow.sent.filter((to) => list.some((r) => r.phone === to));
    expect(dupes(mine)).toEqual([]);
    expect(mine.sort()).toEqual(list.map((r) => r.phone).sort());
    expect(fast.sent.filter((to) => list.some((r) => r.phone === to))).toEqual([]);
  }, 90_000);

  it('pauses for insufficient credit with the rest unsent, and finishes after a top-up without duplicates', async () => {
    const store = herald.store;
    const acc = await store.credits.get('default');
    // Leave 1.5 credits: 15 one-segment messages at 0.1.
    await store.credits.move('default', { id: `adjust-${Date.now()}`, kind: 'adjustment', amount: 1500 - acc!.balance! });
    const list = recipients(25, 2000);
    const c = (await api().post('/v1/campaigns').send({ name: 'credit', message: 'Reminder for {{name}}', recipients: list, provider: 'fast' }).expect(201)).body;
    await api().post(`/v1/campaigns/${c.id}/run`).expect(200);
    const paused = await eventually('paused for credit', async () => ((await get(c.id)).status === 'paused' ? get(c.id) : null), 20_000);
    expect(paused.pauseReason).toBe('insufficient_credit');
    await eventually('the covered ones sent', async () => ((await get(c.id)).counts.sent ?? 0) === 15, 20_000);
    const before = await get(c.id);
    expect(before.counts).toEqual({ sent: 15, unsent: 10 });
    await api().post('/v1/workspaces/default/credits/top-ups').send({ amount: 5 }).expect(201);
    await eventually('the campaign completed', async () => (await get(c.id)).status === 'completed', 30_000);
    const after = await get(c.id);
    expect(after.counts).toEqual({ sent: 25, unsent: 0 });
    const mine = fast.sent.filter((to) => list.some((r) => r.phone === to));
    expect(dupes(mine)).toEqual([]);
    expect(mine).toHaveLength(25);
    expect((await store.credits.get('default'))!.balance).toBe(1500 + 5000 - 2500);
  }, 60_000);

  it("takes a program's SMS subscribers as recipients; an unknown program is 422 naming programId", async () => {
    const { store } = herald;
    await store.programs.create('default', { id: 'school', name: 'School' });
    await store.eventTypes.create('default', { programId: 'school', id: 'fees', name: 'Fees', templates: {} });
    const users = [['u1', phone(5001), ['sms']], ['u2', phone(5002), ['email']], ['u3', undefined, ['sms']], ['u4', phone(5004), ['sms', 'email']]] as const;
    for (const [id, p, channels] of users) {
      await store.users.create('default', { id, name: `Parent ${id}`, ...(p ? { phone: p } : {}), ...((channels as readonly string[]).includes('email') ? { email: `${id}@example.org` } : {}) });
      await store.subscriptions.create('default', { id: `s-${id}`, userId: id, programId: 'school', channels: [...channels] });
    }
    const c = (await api().post('/v1/campaigns').send({ name: 'parents', message: 'Dear {{name}}', programId: 'school', recipients: [{ phone: phone(5001) }, { phone: phone(5009) }] }).expect(201)).body;
    // u2 takes email only, u3 has no phone; u1 given twice is one recipient (the explicit entry, first, wins).
    expect(c.recipients).toBe(3);
    const texts = (await herald.store.campaigns.recipientsAfter(c.id, undefined, 10)).map((r) => [r.to, r.text]).sort();
    expect(texts).toEqual([[phone(5001), 'Dear'], [phone(5004), 'Dear Parent u4'], [phone(5009), 'Dear']]);
    const bad = await api().post('/v1/campaigns').send({ name: 'nobody', message: 'hi', programId: 'nope' }).expect(422);
    expect(bad.body.error.issues[0].field).toBe('programId');
    const badType = await api().post('/v1/campaigns').send({ name: 'nobody', message: 'hi', programId: 'school', eventTypeId: 'nope' }).expect(422);
    expect(badType.body.error.issues[0].field).toBe('eventTypeId');
    expect(await herald.store.campaigns.getByName('default', 'nobody')).toBeNull();
  });

  it('refuses an unknown provider and a pause of a draft, naming the field', async () => {
    const bad = await api().post('/v1/campaigns').send({ name: 'x', message: 'hi', recipients: [{ phone: phone(1) }], provider: 'nope' }).expect(422);
    expect(bad.body.error.issues[0].field).toBe('provider');
    const badPhone = await api().post('/v1/campaigns').send({ name: 'y', message: 'hi', recipients: [{ phone: '12' }] }).expect(422);
    expect(badPhone.body.error.issues[0].field).toBe('recipients[0].phone');
    const draft = (await api().post('/v1/campaigns').send({ name: 'draft', message: 'hi', recipients: [{ phone: phone(1) }] }).expect(201)).body;
    await api().post(`/v1/campaigns/${draft.id}/pause`).expect(409);
    await api().post('/v1/campaigns').send({ name: 'draft', message: 'hi', recipients: [{ phone: phone(1) }] }).expect(409);
    await api().get('/v1/campaigns/nope').expect(404);
    // Another workspace's campaign is as absent as one that does not exist.
    const other = await herald.store.campaigns.create({ workspaceId: 'elsewhere', id: `other-${backend}`, name: 'theirs', channel: 'sms', message: 'x', status: 'draft', validityHours: 48, recipients: 0, run: { messages: 0 } });
    await api().get(`/v1/campaigns/${other.id}`).expect(404);
    await api().post(`/v1/campaigns/${other.id}/run`).expect(404);
    const mine = (await api().get('/v1/campaigns?limit=500').expect(200)).body.items.map((c: { id: string }) => c.id);
    expect(mine).not.toContain(other.id);
  });
});
