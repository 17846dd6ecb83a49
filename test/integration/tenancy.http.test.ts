// Workspaces and keys through the API: the key lifecycle, and a key of workspace A that never
// reads, lists, counts or changes anything of workspace B.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createEmbeddedBus } from '../../src/bus/embedded';
import type { Bus } from '../../src/bus/bus';
import { createNotificationService } from '../../src/services/notifications';
import { uniqueName } from '../support/services';
import { makeApp, type TestApp } from './http.support';

const ADMIN = 'admin-key-for-tenancy-tests';
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

let t: TestApp;
let bus: Bus;
let busFile: string;

beforeEach(async () => {
  busFile = path.join(os.tmpdir(), `${uniqueName('herald-tenancy-bus')}.db`);
  bus = createEmbeddedBus({ file: busFile });
  await bus.connect();
  t = await makeApp({ 'auth.adminKey': ADMIN }, (d) => createNotificationService({ ...d, bus }));
});
afterEach(async () => {
  await bus.close();
  fs.rmSync(busFile, { force: true });
});

const api = () => request(t.app);
async function workspaceWithKey(id: string, role: 'viewer' | 'sender' | 'admin' = 'sender'): Promise<string> {
  const w = await api().post('/v1/workspaces').set(bearer(ADMIN)).send({ id, name: `Workspace ${id}` });
  if (w.status !== 201 && w.status !== 409) throw new Error(`workspace ${id}: ${w.status}`);
  const k = await api().post(`/v1/workspaces/${id}/keys`).set(bearer(ADMIN)).send({ role, name: `${role} of ${id}` });
  expect(k.status).toBe(201);
  return k.body.key as string;
}

describe('workspaces and keys', () => {
  test('an admin creates a workspace and keys; a key is shown once, listed by prefix with its last use, and refused once revoked', async () => {
    const none = await api().get('/v1/programs');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await api().get('/v1/programs').set(bearer('hk_000000000000_unknownunknownunknownunknownunknow'))).status).toBe(401);

    const w = await api().post('/v1/workspaces').set(bearer(ADMIN)).send({ id: 'uni', name: 'University' });
    expect(w.status).toBe(201);
    expect(w.body).toMatchObject({ id: 'uni', name: 'University', balance: null });
    expect((await api().post('/v1/workspaces').set(bearer(ADMIN)).send({ id: 'uni', name: 'Again' })).status).toBe(409);
    expect((await api().get('/v1/workspaces/uni').set(bearer(ADMIN))).body).toMatchObject({ id: 'uni', balance: null });
    expect((await api().get('/v1/workspaces/nope').set(bearer(ADMIN))).status).toBe(404);
    expect((await api().get('/v1/workspaces').set(bearer(ADMIN))).body.items.map((x: { id: string }) => x.id).sort()).toEqual(['default', 'uni']);

    const created = await api().post('/v1/workspaces/uni/keys').set(bearer(ADMIN)).send({ role: 'viewer', name: 'dashboard' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), key: expect.stringMatching(/^hk_/), role: 'viewer', workspaceId: 'uni' });
    const key = created.body.key as string;
    expect((await api().post('/v1/workspaces/nope/keys').set(bearer(ADMIN)).send({ role: 'viewer', name: 'x' })).status).toBe(404);
    expect((await api().post('/v1/workspaces/uni/keys').set(bearer(ADMIN)).send({ role: 'root', name: 'x' })).status).toBe(400);

    expect((await api().get('/v1/programs').set(bearer(key))).status).toBe(200);
    expect((await api().post('/v1/programs').set(bearer(key)).send({ name: 'P' })).status).toBe(403);
    expect((await api().get('/v1/workspaces').set(bearer(key))).status).toBe(403);
    const listed = await api().get('/v1/workspaces/uni/keys').set(bearer(ADMIN));
    expect(listed.body.items).toHaveLength(1);
    const [item] = listed.body.items;
    expect(item).not.toHaveProperty('key');
    expect(item).not.toHaveProperty('hash');
    expect(key.startsWith(item.prefix)).toBe(true);
    expect(Date.parse(item.lastUsedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    expect((await api().delete(`/v1/workspaces/default/keys/${item.id}`).set(bearer(ADMIN))).status).toBe(404);
    expect((await api().delete(`/v1/workspaces/uni/keys/${item.id}`).set(bearer(ADMIN))).status).toBe(204);
    const revoked = await api().get('/v1/programs').set(bearer(key));
    expect(revoked.status).toBe(401);
    expect(revoked.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await api().get('/v1/workspaces/uni/keys').set(bearer(ADMIN))).body.items[0].revokedAt).toEqual(expect.any(String));
  });

  test('HERALD_LEGACY_OPEN=true keeps POST / keyless in the default workspace, and only POST /', async () => {
    const open = await makeApp({ 'auth.adminKey': ADMIN, 'auth.legacyOpen': true }, (d) => createNotificationService({ ...d, bus }));
    await request(open.app).post('/v1/programs').set(bearer(ADMIN)).send({ id: 1, name: 'P' }).expect(201);
    await request(open.app).post('/v1/programs/1/event-types').set(bearer(ADMIN)).send({ id: 1, name: 'E' }).expect(201);
    const r = await request(open.app).post('/').send({ start_time: '08/27/2030 21:04', program_id: 1, event_type_id: '1' });
    expect(r.status).toBe(202);
    expect(await open.store.notifications.get(r.body.id)).toMatchObject({ workspaceId: 'default', source: 'legacy' });
    expect((await request(open.app).get(`/v1/notifications/${r.body.id}`)).status).toBe(401);
    // A key sent anyway still names the workspace the event goes to.
    await request(open.app).post('/v1/workspaces').set(bearer(ADMIN)).send({ id: 'uni', name: 'U' }).expect(201);
    const uniKey = (await request(open.app).post('/v1/workspaces/uni/keys').set(bearer(ADMIN)).send({ role: 'sender', name: 's' })).body.key;
    const inUni = await request(open.app).post('/').set(bearer(uniKey)).send({ start_time: '08/27/2030 21:04', program_id: 1, event_type_id: '1' });
    expect(inUni.status).toBe(422); // uni has no program 1: the event went to uni, not to default
  });

  test('a key in the query string is refused, even a valid one', async () => {
    const r = await api().get(`/v1/programs?api_key=${ADMIN}`);
    expect(r.status).toBe(400);
    expect(r.body.error.issues).toEqual([{ field: 'api_key', reason: expect.stringMatching(/Authorization/) }]);
  });

  test('POST / needs a key once keys exist, and acts in the key\'s workspace', async () => {
    const legacy = { start_time: '08/27/2030 21:04', program_id: 1, event_type_id: '1' };
    expect((await api().post('/').send(legacy)).status).toBe(401);
    const key = await workspaceWithKey('uni');
    await api().post('/v1/programs').set(bearer(key)).send({ id: 1, name: 'P' }).expect(201);
    await api().post('/v1/programs/1/event-types').set(bearer(key)).send({ id: 1, name: 'E' }).expect(201);
    const r = await api().post('/').set(bearer(key)).send(legacy);
    expect(r.status).toBe(202);
    expect(await t.store.notifications.get(r.body.id)).toMatchObject({ workspaceId: 'uni' });
    expect((await api().post('/').set(bearer(ADMIN)).send(legacy)).status).toBe(422); // the default workspace has no program 1
  });
});

describe('isolation: a key of workspace A against the records of workspace B', () => {
  test('reads, lists, counts and changes nothing of B; B ids answer 404 like missing ones', async () => {
    const a = await workspaceWithKey('A');
    const b = await workspaceWithKey('B');
    const viewerA = await workspaceWithKey('A', 'viewer');
    await api().post('/v1/programs').set(bearer(b)).send({ id: 'p1', name: 'B program' }).expect(201);
    await api().post('/v1/programs/p1/event-types').set(bearer(b)).send({ id: 'e1', name: 'B event', templates: { sms: { text: 'hi' } } }).expect(201);
    await api().post('/v1/users').set(bearer(b)).send({ id: 'u1', name: 'B user', phone: '+254700000001' }).expect(201);
    await api().post('/v1/subscriptions').set(bearer(b)).send({ id: 's1', userId: 'u1', programId: 'p1', channels: ['sms'] }).expect(201);
    const n = await api().post('/v1/notifications').set(bearer(b)).send({ programId: 'p1', eventTypeId: 'e1', startTime: '2040-01-01T00:00:00Z' });
    expect(n.status).toBe(202);
    const nid = n.body.id as string;
    await t.store.logs.append([
      { time: new Date(), level: 'info', process: 't', message: 'line of B', workspaceId: 'B', notificationId: nid },
      { time: new Date(), level: 'info', process: 't', message: 'line of A', workspaceId: 'A' },
    ]);

    const cases: Array<[string, string, object | undefined]> = [
      ['get', '/v1/programs/p1', undefined],
      ['patch', '/v1/programs/p1', { name: 'taken over' }],
      ['delete', '/v1/programs/p1', undefined],
      ['get', '/v1/programs/p1/event-types', undefined],
      ['post', '/v1/programs/p1/event-types', { id: 'e2', name: 'E' }],
      ['get', '/v1/programs/p1/event-types/e1', undefined],
      ['patch', '/v1/programs/p1/event-types/e1', { name: 'taken over' }],
      ['delete', '/v1/programs/p1/event-types/e1', undefined],
      ['get', '/v1/users/u1', undefined],
      ['patch', '/v1/users/u1', { name: 'taken over' }],
      ['delete', '/v1/users/u1', undefined],
      ['get', '/v1/subscriptions/s1', undefined],
      ['patch', '/v1/subscriptions/s1', { channels: ['email'] }],
      ['delete', '/v1/subscriptions/s1', undefined],
      ['get', `/v1/notifications/${nid}`, undefined],
      ['get', `/v1/notifications/${nid}/messages`, undefined],
      ['patch', `/v1/notifications/${nid}`, { endTime: '2040-01-02T00:00:00Z' }],
      ['post', `/v1/notifications/${nid}/cancel`, undefined],
    ];
    for (const [method, url, body] of cases) {
      const r = await api()[method as 'get'](url).set(bearer(a)).send(body);
      expect({ method, url, status: r.status }).toEqual({ method, url, status: 404 });
    }
    // Ids of B in a body are unknown ids to A: 422 naming the field, as for ids that exist nowhere.
    const sent = await api().post('/v1/notifications').set(bearer(a)).send({ programId: 'p1', eventTypeId: 'e1', startTime: '2040-01-01T00:00:00Z' });
    expect([sent.status, sent.body.error.issues[0].field]).toEqual([422, 'programId']);
    const sub = await api().post('/v1/subscriptions').set(bearer(a)).send({ userId: 'u1', programId: 'p1', channels: ['sms'] });
    expect(sub.status).toBe(422);
    for (const list of ['/v1/programs', '/v1/users', '/v1/subscriptions', '/v1/notifications', '/v1/subscriptions?userId=u1']) {
      const r = await api().get(list).set(bearer(viewerA));
      expect({ list, total: r.body.total, items: r.body.items }).toEqual({ list, total: 0, items: [] });
    }
    const logsA = await api().get('/v1/logs').set(bearer(viewerA));
    expect(logsA.body.items.map((l: { message: string }) => l.message)).toEqual(['line of A']);
    expect((await api().get(`/v1/logs?notificationId=${nid}`).set(bearer(a))).body.items).toEqual([]);
    expect((await api().get('/v1/logs?workspaceId=B').set(bearer(a))).body.items.map((l: { message: string }) => l.message)).toEqual(['line of A']);
    expect((await api().get('/v1/logs?workspaceId=B').set(bearer(ADMIN))).body.items.map((l: { message: string }) => l.message)).toEqual(['line of B']);

    // The same ids are free in A: no 409 tells A that B has them.
    expect((await api().post('/v1/programs').set(bearer(a)).send({ id: 'p1', name: 'A program' })).status).toBe(201);
    expect((await api().post('/v1/users').set(bearer(a)).send({ id: 'u1', name: 'A user', email: 'a@example.org' })).status).toBe(201);

    // B is exactly as it was.
    expect((await api().get('/v1/programs/p1').set(bearer(b))).body).toMatchObject({ name: 'B program', workspaceId: 'B' });
    expect((await api().get('/v1/programs/p1/event-types/e1').set(bearer(b))).body).toMatchObject({ name: 'B event' });
    expect((await api().get('/v1/users/u1').set(bearer(b))).body).toMatchObject({ name: 'B user', phone: '+254700000001' });
    expect((await api().get('/v1/subscriptions/s1').set(bearer(b))).body).toMatchObject({ channels: ['sms'] });
    const nb = await api().get(`/v1/notifications/${nid}`).set(bearer(b));
    expect(nb.body.status).toBe('scheduled');
    expect(nb.body).not.toHaveProperty('endTime');
    expect((await api().get('/v1/programs').set(bearer(b))).body.total).toBe(1);
  });
});
