// Users and subscriptions over HTTP, against the real SQLite store.
import request from 'supertest';
import { fieldsOf, makeApp, type TestApp } from './http.support';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(async () => {
  await t.store.close();
});

const amina = { id: 'u1', name: 'Amina', phone: '+254 712-345-678', email: 'amina@example.org', locale: 'sw-ke', timezone: 'Africa/Nairobi' };

describe('users', () => {
  test('create (phone normalised, locale canonical), get, list, patch, delete', async () => {
    const r = await request(t.app).post('/v1/users').send(amina);
    expect(r.status).toBe(201);
    expect(r.headers.location).toBe('/v1/users/u1');
    expect(r.body).toMatchObject({ id: 'u1', phone: '+254712345678', email: 'amina@example.org', locale: 'sw-KE', timezone: 'Africa/Nairobi' });

    expect((await request(t.app).get('/v1/users/u1')).body.phone).toBe('+254712345678');
    expect((await request(t.app).get('/v1/users')).body).toMatchObject({ total: 1, items: [{ id: 'u1' }] });

    const p = await request(t.app).patch('/v1/users/u1').send({ email: null, timezone: 'Europe/Paris' });
    expect(p.status).toBe(200);
    expect(p.body).not.toHaveProperty('email');
    expect(p.body.timezone).toBe('Europe/Paris');

    expect((await request(t.app).delete('/v1/users/u1')).status).toBe(204);
    expect((await request(t.app).get('/v1/users/u1')).status).toBe(404);
  });

  test.each([
    [{ name: 'A', phone: '0712345678' }, ['phone']],
    [{ name: 'A', phone: '+0712345678' }, ['phone']],
    [{ name: 'A', email: 'not-an-email' }, ['email']],
    [{ name: 'A', phone: '+254712345678', timezone: 'Mars/Olympus' }, ['timezone']],
    [{ name: 'A', phone: '+254712345678', locale: 'not a locale!' }, ['locale']],
    [{ name: 'A' }, ['phone']],
    [{ name: 'A', phone: '+254712345678', nickname: 'x' }, ['nickname']],
  ])('%j is refused (400) naming %j, and nothing is written', async (body, fields) => {
    const r = await request(t.app).post('/v1/users').send(body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(r.body)).toEqual(fields);
    expect((await t.store.users.list('default', { limit: 10, offset: 0 })).total).toBe(0);
  });

  test('a user keeps a phone or an email; missing users are 404; duplicate ids 409', async () => {
    await request(t.app).post('/v1/users').send({ id: 5, name: 'B', email: 'b@example.org' }).expect(201);
    const r = await request(t.app).patch('/v1/users/5').send({ email: null });
    expect(r.status).toBe(422);
    expect(fieldsOf(r.body)).toEqual(['email']);
    expect((await request(t.app).get('/v1/users/5')).body.email).toBe('b@example.org');
    expect((await request(t.app).patch('/v1/users/6').send({ name: 'x' })).status).toBe(404);
    expect((await request(t.app).post('/v1/users').send({ id: '5', name: 'C', email: 'c@example.org' })).status).toBe(409);
  });
});

describe('subscriptions', () => {
  beforeEach(async () => {
    await request(t.app).post('/v1/users').send(amina).expect(201);
    await request(t.app).post('/v1/users').send({ id: 2, name: 'Baraka', email: 'baraka@example.org' }).expect(201);
    await request(t.app).post('/v1/programs').send({ id: 1, name: 'School' }).expect(201);
    await request(t.app).post('/v1/programs/1/event-types').send({ id: 1, name: 'Term' }).expect(201);
  });

  test('create with numeric ids, get, filter, patch channels, delete', async () => {
    const r = await request(t.app).post('/v1/subscriptions').send({ id: 's1', userId: 'u1', programId: 1, eventTypeId: '1', channels: ['sms', 'email'] });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: 's1', userId: 'u1', programId: '1', eventTypeId: '1', channels: ['sms', 'email'] });
    await request(t.app).post('/v1/subscriptions').send({ userId: 2, programId: '1', channels: ['email'] }).expect(201);

    const byUser = await request(t.app).get('/v1/subscriptions?userId=2');
    expect(byUser.body).toMatchObject({ total: 1, items: [{ userId: '2', programId: '1' }] });
    expect(byUser.body.items[0]).not.toHaveProperty('eventTypeId');
    expect((await request(t.app).get('/v1/subscriptions?programId=1')).body.total).toBe(2);
    expect((await request(t.app).get('/v1/subscriptions?programId=1&eventTypeId=1')).body.items.map((s: { id: string }) => s.id)).toContain('s1');
    expect((await request(t.app).get('/v1/subscriptions?limit=1')).body).toMatchObject({ total: 2, limit: 1 });

    const p = await request(t.app).patch('/v1/subscriptions/s1').send({ channels: ['email'] });
    expect(p.status).toBe(200);
    expect(p.body.channels).toEqual(['email']);
    expect((await request(t.app).get('/v1/subscriptions/s1')).body.channels).toEqual(['email']);
    expect((await request(t.app).delete('/v1/subscriptions/s1')).status).toBe(204);
    expect((await request(t.app).get('/v1/subscriptions/s1')).status).toBe(404);
  });

  test('unknown user, program or event type is 422 naming the field, and nothing is written', async () => {
    const r1 = await request(t.app).post('/v1/subscriptions').send({ userId: 'ghost', programId: 9, channels: ['sms'] });
    expect(r1.status).toBe(422);
    expect(fieldsOf(r1.body)).toEqual(['userId', 'programId']);
    const r2 = await request(t.app).post('/v1/subscriptions').send({ userId: 'u1', programId: 1, eventTypeId: 9, channels: ['sms'] });
    expect(r2.status).toBe(422);
    expect(fieldsOf(r2.body)).toEqual(['eventTypeId']);
    expect((await t.store.subscriptions.list('default', {}, { limit: 10, offset: 0 })).total).toBe(0);
  });

  test('channels must be a non-empty list of sms/email without repeats', async () => {
    for (const channels of [[], ['sms', 'sms'], ['fax'], 'sms']) {
      const r = await request(t.app).post('/v1/subscriptions').send({ userId: 'u1', programId: 1, channels });
      expect(r.status).toBe(400);
      expect(fieldsOf(r.body)[0]).toMatch(/^channels/);
    }
    expect((await request(t.app).patch('/v1/subscriptions/x').send({ channels: [] })).status).toBe(400);
    expect((await request(t.app).patch('/v1/subscriptions/x').send({ channels: ['sms'] })).status).toBe(404);
  });

  test('a second subscription for the same user and scope is 409; duplicate ids 409', async () => {
    await request(t.app).post('/v1/subscriptions').send({ id: 1, userId: 'u1', programId: 1, eventTypeId: 1, channels: ['sms'] }).expect(201);
    const twin = await request(t.app).post('/v1/subscriptions').send({ userId: 'u1', programId: '1', eventTypeId: '1', channels: ['email'] });
    expect(twin.status).toBe(409);
    expect(twin.body.error.message).toContain("subscription '1'");
    const sameId = await request(t.app).post('/v1/subscriptions').send({ id: '1', userId: 2, programId: 1, channels: ['email'] });
    expect(sameId.status).toBe(409);
    expect(fieldsOf(sameId.body)).toEqual(['id']);
    // Program-wide and per-event-type subscriptions are different scopes.
    await request(t.app).post('/v1/subscriptions').send({ userId: 'u1', programId: 1, channels: ['email'] }).expect(201);
  });

  test('deleting a user deletes their subscriptions', async () => {
    await request(t.app).post('/v1/subscriptions').send({ id: 's', userId: 'u1', programId: 1, channels: ['sms'] }).expect(201);
    await request(t.app).delete('/v1/users/u1').expect(204);
    expect((await request(t.app).get('/v1/subscriptions/s')).status).toBe(404);
  });
});

test('a phone or an address of the documented shape that cannot be used is 422 naming the field; a malformed one is 400', async () => {
  const t = await makeApp();
  try {
    const shape = await request(t.app).post('/v1/users').send({ name: 'A', phone: 'call me' });
    expect([shape.status, fieldsOf(shape.body)]).toEqual([400, ['phone']]);
    const noCountry = await request(t.app).post('/v1/users').send({ name: 'A', phone: '+999 0000000' });
    expect([noCountry.status, noCountry.body.error.code, fieldsOf(noCountry.body)]).toEqual([422, 'UNPROCESSABLE', ['phone']]);
    const noDomain = await request(t.app).post('/v1/users').send({ name: 'A', email: 'a@b' });
    expect([noDomain.status, fieldsOf(noDomain.body)]).toEqual([422, ['email']]);
  } finally {
    await t.store.close();
  }
});
