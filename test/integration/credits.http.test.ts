// Credits over HTTP on both backends: the account summary, top-ups (once per Idempotency-Key),
// bad input that writes nothing, ledger pages, and the live balance stream.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { disposeInstallation, startTestHerald, testConfig, type Backend } from '../support/herald';
import { eventually, openStream } from '../support/credits';
import { requireServices } from '../support/services';

describe.each<Backend>(['embedded', 'real'])('credits over HTTP (%s)', (backend) => {
  let herald: RunningHerald;
  const top = (body: unknown, key?: string, ws = 'default') => {
    const r = request(herald.url!).post(`/v1/workspaces/${ws}/credits/top-ups`).send(body as object);
    return key ? r.set('Idempotency-Key', key) : r;
  };
  const summary = async () => (await request(herald.url!).get('/v1/workspaces/default/credits').expect(200)).body;
  const ledger = async (q = '') => (await request(herald.url!).get(`/v1/workspaces/default/credits/ledger${q}`).expect(200)).body;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    herald = await startTestHerald(testConfig(backend, { 'credits.defaultBalance': 10, 'credits.streamCoalesceMs': 50 }), 'server');
  });
  afterAll(async () => {
    await herald?.stop();
    if (backend === 'real') await disposeInstallation(herald.config.amqpUrl, herald.config.amqpPrefix, herald.config.mongodbUri);
  });

  it('shows the default account opened as configured, with prices and the currency name', async () => {
    expect(await summary()).toEqual({
      workspaceId: 'default', metered: true, balance: 10, reserved: 0, currencyName: 'credits', prices: { smsSegment: 0.1, email: 0 },
    });
    expect((await ledger()).items).toEqual([expect.objectContaining({ kind: 'top-up', amount: 10, balanceAfter: 10, note: 'opening balance' })]);
  });

  it('tops up exactly, and a replay with the same key answers the first top-up without adding again', async () => {
    const first = await top({ amount: 0.3 }, 'k-1').expect(201);
    expect(first.body).toMatchObject({ workspaceId: 'default', amount: 0.3, balance: 10.3, currencyName: 'credits' });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await top({ amount: 0.3 }, 'k-1').expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await top({ amount: '1.7', note: 'invoice 7' }).expect(201);
    expect((await summary()).balance).toBe(12);
    const refused = await top({ amount: 5 }, 'k-1').expect(422);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    const page = await ledger('?kind=top-up&limit=2');
    expect(page).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page.items.map((e: { amount: number }) => e.amount)).toEqual([1.7, 0.3]);
  });

  it.each([
    [{ amount: -1 }, 'must be greater than 0'],
    [{ amount: 0 }, 'must be greater than 0'],
    [{ amount: 'ten' }, 'decimal number'],
    [{ amount: '1e3' }, 'decimal number'],
    [{ amount: 1.0005 }, 'at most 3 decimals'],
    [{ amount: true }, 'decimal number'],
    [{}, 'is required'],
  ])('refuses the top-up %j with 400 on the amount field, writing nothing', async (body, reason) => {
    const before = await summary();
    const beforeLedger = (await ledger()).total;
    const res = await top(body, 'bad-key').expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ field: 'amount', reason: expect.stringContaining(reason) }] });
    expect(await summary()).toEqual(before);
    expect((await ledger()).total).toBe(beforeLedger);
  });

  it('reads a float a client computed (9 x 0.001 = 0.009000000000000001) as the milli-credit it stands for', async () => {
    const before = (await summary()).balance;
    expect(JSON.stringify({ amount: 9 * 0.001 })).toBe('{"amount":0.009000000000000001}');
    const res = await top({ amount: 9 * 0.001 }).expect(201);
    expect(res.body.amount).toBe(0.009);
    expect(Math.round(((await summary()).balance - before) * 1000)).toBe(9);
  });

  it('answers 404 for a workspace without an account, on every credits route', async () => {
    for (const path of ['credits', 'credits/ledger', 'credits/stream']) {
      const res = await request(herald.url!).get(`/v1/workspaces/nowhere/credits${path.slice('credits'.length)}`).expect(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    await top({ amount: 1 }, undefined, 'nowhere').expect(404);
    await top({ amount: 1, extra: 1 }).expect(400);
  });

  it('streams the balance: the current value on connect, then each change', async () => {
    const stream = await openStream(`${herald.url}/v1/workspaces/default/credits/stream`);
    try {
      expect(stream.status).toBe(200);
      await eventually('the first event', () => stream.events.length === 1);
      const start = stream.events[0].balance as number;
      expect(stream.events[0]).toEqual({ workspaceId: 'default', balance: start, currencyName: 'credits' });
      await top({ amount: 2 }).expect(201);
      await eventually('the new balance', () => stream.events.some((e) => e.balance === start + 2));
      await top({ amount: 0.5 }).expect(201);
      await eventually('the newest balance', () => stream.events.at(-1)?.balance === start + 2.5);
    } finally {
      stream.close();
    }
  });

  it('opens a new workspace with its credits (POST /v1/workspaces), and a key of one workspace sees no other account', async () => {
    const ws = (await request(herald.url!).post('/v1/workspaces').send({ name: 'University', credits: 12.5 }).expect(201)).body;
    expect(ws.balance).toBe(12.5);
    expect((await request(herald.url!).get(`/v1/workspaces/${ws.id}/credits`).expect(200)).body).toMatchObject({ balance: 12.5, metered: true });
    // Last in this file: once a key exists, protected mode ends and every call needs one.
    const { key } = (await request(herald.url!).post(`/v1/workspaces/${ws.id}/keys`).send({ role: 'viewer', name: 'reader' }).expect(201)).body;
    const auth = { Authorization: `Bearer ${key}` };
    expect((await request(herald.url!).get(`/v1/workspaces/${ws.id}/credits/ledger`).set(auth).expect(200)).body.items).toEqual([
      expect.objectContaining({ kind: 'top-up', amount: 12.5 }),
    ]);
    await request(herald.url!).get('/v1/workspaces/default/credits').set(auth).expect(404);
    await request(herald.url!).get('/v1/workspaces/default/credits/stream').set(auth).expect(404);
    await request(herald.url!).post(`/v1/workspaces/${ws.id}/credits/top-ups`).set(auth).send({ amount: 1 }).expect(403);
  });
});
