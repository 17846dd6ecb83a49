// Contact lists over HTTP on the embedded default: numbers normalised and a member once, a bad
// number 422 naming phones[i] with nothing written, workspace-scoped, contact search by number,
// and a campaign from a list sending exactly one SMS per member.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { startFakeServer, type FakeServer } from '../support/fake-http-server';
import { eventually, startTestHerald, testConfig } from '../support/herald';

const ADMIN = 'test-admin-key-0123456789';
let herald: RunningHerald;
let gateway: FakeServer & { sent: string[] };
const keys: Record<string, string> = {};

const api = (who: 'sender' | 'viewer' | 'other' = 'sender') => {
  const agent = request(herald.url!);
  const auth = { Authorization: `Bearer ${keys[who]}` };
  return {
    get: (p: string) => agent.get(p).set(auth),
    post: (p: string) => agent.post(p).set(auth),
    delete: (p: string) => agent.delete(p).set(auth),
  };
};

beforeAll(async () => {
  const sent: string[] = [];
  gateway = Object.assign(
    await startFakeServer((x) => {
      sent.push(String((x.json as { to?: string } | undefined)?.to ?? ''));
      return { status: 200, body: { id: `gw-${sent.length}` } };
    }),
    { sent },
  );
  herald = await startTestHerald(
    testConfig('embedded', {
      'auth.adminKey': ADMIN,
      'phone.defaultRegion': 'KE',
      'providers.sms': [{ id: 'fast', type: 'http', options: { url: `${gateway.url}/send`, timeoutMs: 3000 } }],
    }),
  );
  const admin = { Authorization: `Bearer ${ADMIN}` };
  await request(herald.url!).post('/v1/workspaces').set(admin).send({ id: 'other', name: 'Other' }).expect(201);
  for (const [name, ws, role] of [['sender', 'default', 'sender'], ['viewer', 'default', 'viewer'], ['other', 'other', 'sender']] as const) {
    keys[name] = (await request(herald.url!).post(`/v1/workspaces/${ws}/keys`).set(admin).send({ role, name }).expect(201)).body.key;
  }
}, 60_000);

afterAll(async () => {
  await herald?.stop();
  await gateway?.close();
});

describe('contact lists', () => {
  it('creates a list from numbers in any accepted form, one member per number, and adds more once', async () => {
    const created = await api().post('/v1/contact-lists').send({ name: 'Class of 2027', phones: ['+254712000001', '0712000002', '254712000001'] }).expect(201);
    expect(created.body).toMatchObject({ name: 'Class of 2027', size: 2, workspaceId: 'default' });
    expect(created.headers.location).toBe(`/v1/contact-lists/${created.body.id}`);
    const id = created.body.id as string;
    const added = await api().post(`/v1/contact-lists/${id}/contacts`).send({ phones: ['+254712000002', '+254712000003'] }).expect(200);
    expect(added.body).toMatchObject({ id, size: 3, added: 1 });
    expect((await api('viewer').get(`/v1/contact-lists/${id}`).expect(200)).body.size).toBe(3);
    expect((await api('viewer').get('/v1/contact-lists').expect(200)).body.items.map((l: { id: string }) => l.id)).toContain(id);
    // The numbers are contacts of the workspace now, found by their first digits.
    const found = await api('viewer').get('/v1/contacts?phone=%2B25471200000').expect(200);
    expect(found.body.items.map((c: { phone: string }) => c.phone)).toEqual(['+254712000001', '+254712000002', '+254712000003']);
    expect((await api('viewer').get('/v1/contacts?phone=0712000002').expect(200)).body.items.map((c: { phone: string }) => c.phone)).toEqual(['+254712000002']);
  });

  it('refuses a bad number naming phones[i], writing nothing', async () => {
    const bad = await api().post('/v1/contact-lists').send({ name: 'broken', phones: ['+254712000011', '12'] }).expect(422);
    expect(bad.body.error.issues.map((i: { field: string }) => i.field)).toEqual(['phones[1]']);
    expect((await api().get('/v1/contact-lists').expect(200)).body.items.map((l: { name: string }) => l.name)).not.toContain('broken');
    expect((await api().get('/v1/contacts?phone=%2B254712000011').expect(200)).body.total).toBe(0);
    const id = (await api().post('/v1/contact-lists').send({ name: 'empty' }).expect(201)).body.id;
    const addBad = await api().post(`/v1/contact-lists/${id}/contacts`).send({ phones: ['not a number'] }).expect(422);
    expect(addBad.body.error.issues[0].field).toBe('phones[0]');
    expect((await api().post(`/v1/contact-lists/${id}/contacts`).send({}).expect(400)).body.error.issues[0].field).toBe('phones');
    expect((await api().get(`/v1/contact-lists/${id}`).expect(200)).body.size).toBe(0);
  });

  it('is workspace-scoped and role-checked; delete keeps the contacts', async () => {
    const id = (await api().post('/v1/contact-lists').send({ name: 'mine', phones: ['+254712000021'] }).expect(201)).body.id;
    await api('other').get(`/v1/contact-lists/${id}`).expect(404);
    await api('other').post(`/v1/contact-lists/${id}/contacts`).send({ phones: ['+254712000022'] }).expect(404);
    await api('other').delete(`/v1/contact-lists/${id}`).expect(404);
    expect((await api('other').get('/v1/contacts?phone=%2B254712000021').expect(200)).body.total).toBe(0);
    await api('viewer').post('/v1/contact-lists').send({ name: 'nope' }).expect(403);
    await api('viewer').delete(`/v1/contact-lists/${id}`).expect(403);
    await api().delete(`/v1/contact-lists/${id}`).expect(204);
    await api().get(`/v1/contact-lists/${id}`).expect(404);
    expect((await api().get('/v1/contacts?phone=%2B254712000021').expect(200)).body.total).toBe(1);
  });
});

describe('a campaign from a contact list', () => {
  it('sends exactly one SMS per member, rendered with the contact', async () => {
    const members = Array.from({ length: 12 }, (_, i) => `+2547130000${String(i).padStart(2, '0')}`);
    const id = (await api().post('/v1/contact-lists').send({ name: 'parents', phones: [...members, members[0]] }).expect(201)).body.id;
    const c = await api().post('/v1/campaigns').send({ name: 'from list', message: 'Hi {{phone}}', contactListId: id, provider: 'fast' }).expect(201);
    expect(c.body).toMatchObject({ recipients: 12, status: 'draft' });
    const planned = await herald.store.campaigns.recipientsAfter(c.body.id, undefined, 100);
    expect(planned.map((r) => r.text)).toEqual(members.map((m) => `Hi ${m}`));
    await api().post(`/v1/campaigns/${c.body.id}/run`).send({}).expect(200);
    await eventually('campaign completed', async () => ((await api().get(`/v1/campaigns/${c.body.id}`)).body.status === 'completed' ? true : undefined), 30_000);
    const mine = gateway.sent.filter((to) => to.startsWith('+2547130000'));
    expect(mine.sort()).toEqual(members);
  }, 60_000);

  it('refuses an unknown, foreign or combined contactListId with 422 naming it', async () => {
    const foreign = (await api('other').post('/v1/contact-lists').send({ name: 'theirs', phones: ['+254712000031'] }).expect(201)).body.id;
    for (const contactListId of ['nope', foreign]) {
      const r = await api().post('/v1/campaigns').send({ name: 'x', message: 'hi', contactListId }).expect(422);
      expect(r.body.error.issues[0].field).toBe('contactListId');
    }
    const both = await api().post('/v1/campaigns').send({ name: 'x', message: 'hi', contactListId: foreign, recipients: [{ phone: '+254712000031' }] }).expect(422);
    expect(both.body.error.issues[0].field).toBe('contactListId');
    const empty = (await api().post('/v1/contact-lists').send({ name: 'nobody' }).expect(201)).body.id;
    expect((await api().post('/v1/campaigns').send({ name: 'x', message: 'hi', contactListId: empty }).expect(422)).body.error.issues[0].field).toBe('contactListId');
    await api().get('/v1/campaigns').expect(200).then((r) => expect(r.body.items.map((x: { name: string }) => x.name)).not.toContain('x'));
  });
});
