// Idempotency-Key on POST /v1/notifications and idempotencyKey on RabbitMQ events: a retry gets
// the first answer, a reused key with another body 422, a key still in progress 409; per client.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import type { RunningHerald } from '../../src/runtime';
import { bodyHash } from '../../src/services/idempotency';
import { createNotificationService } from '../../src/services/notifications';
import { requireServices } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';

const body = (over: Record<string, unknown> = {}) => ({ programId: '1', eventTypeId: '1', startTime: '2030-01-01T08:00:00.000Z', data: { form: 'F-1' }, ...over });
/** The hash the service computes for `body()` (parsed times, defaults filled). */
const hashOf = (b: ReturnType<typeof body>) =>
  bodyHash({ programId: b.programId, eventTypeId: b.eventTypeId, startTime: new Date(b.startTime), endTime: undefined, data: b.data, reanchorPastWindow: undefined });

describe.each<Backend>(['embedded', 'real'])('Idempotency-Key (%s store)', (backend) => {
  let herald: RunningHerald;
  const api = () => request(herald.url!);
  const post = (b: object, key?: string, client?: string) => {
    const r = api().post('/v1/notifications');
    if (key) r.set('Idempotency-Key', key);
    if (client) r.set('X-Client-Id', client);
    return r.send(b);
  };
  const total = async () => (await api().get('/v1/notifications?limit=1')).body.total as number;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    herald = await startTestHerald(testConfig(backend));
    await herald.store.programs.create('default', { id: '1', name: 'Survey' });
    await herald.store.eventTypes.create('default', { id: '1', programId: '1', name: 'Form rejected', templates: { sms: { text: 'Form {{data.form}}' } } });
  });
  afterAll(() => disposeTestHerald(herald));

  it('answers a retry with the same key and body with the first notification, stored once', async () => {
    const before = await total();
    const key = randomUUID();
    const first = await post(body(), key);
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(body(), key);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body).toMatchObject({ startTime: first.body.startTime, validUntil: first.body.validUntil });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    // Key order in data does not make it another body.
    expect((await post(body({ data: { form: 'F-1' }, eventTypeId: '1' }), key)).body.id).toBe(first.body.id);
    expect(await total()).toBe(before + 1);
    const stored = await herald.store.idempotencyKeys.get('anonymous', key);
    expect(stored).toMatchObject({ state: 'done', notificationId: first.body.id });
    const hours = (stored!.expiresAt.getTime() - stored!.createdAt.getTime()) / 3_600_000;
    expect(hours).toBeCloseTo(24, 3);
  });

  it('refuses the same key with another body with 422 naming Idempotency-Key', async () => {
    const key = randomUUID();
    const first = await post(body(), key);
    const other = await post(body({ data: { form: 'F-2' } }), key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('UNPROCESSABLE');
    expect(other.body.error.issues).toEqual([{ field: 'Idempotency-Key', reason: expect.stringContaining('different request body') }]);
    expect((await post(body(), key)).body.id).toBe(first.body.id);
  });

  it('scopes keys per X-Client-Id', async () => {
    const key = randomUUID();
    const a = await post(body(), key, 'billing');
    const b = await post(body(), key, 'crm');
    const anon = await post(body(), key);
    expect([a.status, b.status, anon.status]).toEqual([202, 202, 202]);
    expect(new Set([a.body.id, b.body.id, anon.body.id]).size).toBe(3);
    expect((await post(body(), key, 'billing')).body.id).toBe(a.body.id);
  });

  it('answers 409 while the first request with the key is still in progress', async () => {
    const key = randomUUID();
    await herald.store.idempotencyKeys.claim({
      scope: 'anonymous', key, token: 'elsewhere', bodyHash: hashOf(body()), state: 'in-progress', notificationId: randomUUID(),
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const r = await post(body(), key);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'CONFLICT', issues: [{ field: 'Idempotency-Key', reason: 'is still in progress' }] });
  });

  it('lets concurrent retries create one notification: the rest replay it or get 409', async () => {
    const before = await total();
    const key = randomUUID();
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => post(body(), key)));
    expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
    const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(await total()).toBe(before + 1);
  });

  it('frees the key when the request is refused, so a corrected retry goes through', async () => {
    const key = randomUUID();
    const bad = await post(body({ programId: 'nope' }), key);
    expect(bad.status).toBe(422);
    expect(await herald.store.idempotencyKeys.get('anonymous', key)).toBeNull();
    expect((await post(body(), key)).status).toBe(202);
  });

  it('treats an expired key as unused', async () => {
    const key = randomUUID();
    const oldId = randomUUID();
    await herald.store.idempotencyKeys.claim({
      scope: 'anonymous', key, token: 'old', bodyHash: hashOf(body({ data: { other: true } })), state: 'done', notificationId: oldId,
      expiresAt: new Date(Date.now() - 1000),
    });
    const r = await post(body(), key);
    expect(r.status).toBe(202);
    expect(r.body.id).not.toBe(oldId);
    expect((await herald.store.idempotencyKeys.get('anonymous', key))!.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await herald.store.idempotencyKeys.pruneExpired(new Date())).toBeGreaterThanOrEqual(0);
  });

  it('takes over a stale claim of a request that died, keeping its reserved id (stored or not)', async () => {
    const svc = createNotificationService({ store: herald.store, bus: herald.bus, config: herald.config, logger: herald.logger, idempotencyStaleMs: 50 });
    const req = { workspaceId: 'default', programId: '1', eventTypeId: '1', startTime: new Date(body().startTime), data: body().data, source: 'api' as const };
    const claimDead = async (key: string, notificationId: string) =>
      herald.store.idempotencyKeys.claim({
        scope: 'anonymous', key, token: 'dead', bodyHash: hashOf(body()), state: 'in-progress', notificationId, expiresAt: new Date(Date.now() + 86_400_000),
      });
    // Died before storing: the retry stores the notification under the reserved id.
    const reserved = randomUUID();
    await claimDead('died-early', reserved);
    await new Promise((r) => setTimeout(r, 100));
    expect((await svc.accept({ ...req, idempotencyKey: 'died-early' })).id).toBe(reserved);
    expect(await herald.store.idempotencyKeys.get('anonymous', 'died-early')).toMatchObject({ state: 'done', notificationId: reserved });
    // Died after storing: the retry answers with what was stored, without a second notification.
    const stored = await svc.accept({ ...req, idempotencyKey: undefined });
    await claimDead('died-late', stored.id);
    await new Promise((r) => setTimeout(r, 100));
    const before = await total();
    expect((await svc.accept({ ...req, idempotencyKey: 'died-late' })).id).toBe(stored.id);
    expect(await total()).toBe(before);
  });

  it('de-duplicates RabbitMQ events by idempotencyKey, per producer', async () => {
    const before = await total();
    const key = randomUUID();
    const event = { ...body({ startTime: new Date().toISOString() }), idempotencyKey: key };
    await herald.bus.publish('events', event);
    await herald.bus.publish('events', event);
    await herald.bus.publish('events', event, { headers: { 'x-client-id': 'crm' } });
    await herald.bus.publish('events', { ...event, data: { form: 'other' } });
    await eventually('two notifications from three events', async () => (await total()) === before + 2);
    const dead = await eventually('the reused key dead-lettered', async () => {
      const d = await herald.bus.deadLetters('events', 50);
      return d.find((x) => x.reason.includes('Idempotency-Key'));
    });
    expect(dead.reason).toMatch(/UNPROCESSABLE/);
    // A key is completed by its own write after the notification's insert: counted notifications may be a moment ahead of it.
    await eventually('both keys done', async () => (await herald.store.idempotencyKeys.get('amqp', key))?.state === 'done' && (await herald.store.idempotencyKeys.get('crm', key))?.state === 'done');
    await new Promise((r) => setTimeout(r, 300));
    expect(await total()).toBe(before + 2);
  });
});

describe('idempotencyHours setting', () => {
  it('defaults to 24 and refuses less than 24 hours', () => {
    expect(loadConfig({}).idempotencyHours).toBe(24);
    expect(loadConfig({ HERALD_IDEMPOTENCY_HOURS: '72' }).idempotencyHours).toBe(72);
    expect(() => loadConfig({ HERALD_IDEMPOTENCY_HOURS: '12' })).toThrow(/idempotencyHours \(HERALD_IDEMPOTENCY_HOURS\) must be at least 24/);
  });
});
