// Programs and event types over HTTP, against the real SQLite store.
import request from 'supertest';
import { fieldsOf, makeApp, type TestApp } from './http.support';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(async () => {
  await t.store.close();
});

describe('programs', () => {
  test('create, get, list, patch, delete', async () => {
    const created = await request(t.app).post('/v1/programs').send({ id: 'vax', name: 'Vaccination', description: 'drive' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/v1/programs/vax');
    expect(created.body).toMatchObject({ id: 'vax', name: 'Vaccination', description: 'drive' });
    expect(new Date(created.body.createdAt).toISOString()).toBe(created.body.createdAt);

    expect((await request(t.app).get('/v1/programs/vax')).body.name).toBe('Vaccination');

    const patched = await request(t.app).patch('/v1/programs/vax').send({ name: 'Polio', description: null });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Polio');
    expect(patched.body).not.toHaveProperty('description');

    const list = await request(t.app).get('/v1/programs');
    expect(list.body).toMatchObject({ total: 1, limit: 50, offset: 0 });
    expect(list.body.items.map((p: { id: string }) => p.id)).toEqual(['vax']);

    expect((await request(t.app).delete('/v1/programs/vax')).status).toBe(204);
    expect((await request(t.app).get('/v1/programs/vax')).status).toBe(404);
  });

  test('an id is generated when none is given', async () => {
    const r = await request(t.app).post('/v1/programs').send({ name: 'No id' });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('numeric and string ids are the same record', async () => {
    expect((await request(t.app).post('/v1/programs').send({ id: 1, name: 'One' })).body.id).toBe('1');
    const dup = await request(t.app).post('/v1/programs').send({ id: '1', name: 'Again' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('CONFLICT');
    expect(fieldsOf(dup.body)).toEqual(['id']);
    expect((await request(t.app).get('/v1/programs/1')).body.name).toBe('One');
  });

  test('pagination reports the total and honours limit and offset', async () => {
    for (let i = 0; i < 7; i++) await request(t.app).post('/v1/programs').send({ id: `p${i}`, name: `P${i}` }).expect(201);
    const page = await request(t.app).get('/v1/programs?limit=3&offset=5');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 7, limit: 3, offset: 5 });
    expect(page.body.items).toHaveLength(2);
    const bad = await request(t.app).get('/v1/programs?limit=501&offset=-1');
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad.body).sort()).toEqual(['limit', 'offset']);
    expect((await request(t.app).get('/v1/programs?limit=abc')).status).toBe(400);
    expect(fieldsOf((await request(t.app).get('/v1/programs?lmit=3')).body)).toEqual(['lmit']);
  });

  test('unknown fields, empty names and bad ids are refused and write nothing', async () => {
    const r = await request(t.app).post('/v1/programs').send({ id: 'x', name: '', colour: 'red' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(r.body).sort()).toEqual(['colour', 'name']);
    expect(fieldsOf((await request(t.app).post('/v1/programs').send({ id: 'a/b', name: 'n' })).body)).toEqual(['id']);
    expect(fieldsOf((await request(t.app).post('/v1/programs').send({ id: true, name: 'n' })).body)).toEqual(['id']);
    expect((await t.store.programs.list('default', { limit: 10, offset: 0 })).total).toBe(0);
    expect(fieldsOf((await request(t.app).patch('/v1/programs/x').send({ id: 'y' })).body)).toEqual(['id']);
  });

  test('PATCH and DELETE of a missing program are 404', async () => {
    const r = await request(t.app).patch('/v1/programs/ghost').send({ name: 'x' });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
    expect((await request(t.app).delete('/v1/programs/ghost')).status).toBe(404);
  });
});

describe('event types', () => {
  beforeEach(async () => {
    await request(t.app).post('/v1/programs').send({ id: 1, name: 'School' }).expect(201);
  });

  const templates = {
    sms: { text: 'Hi {{user.name}}, {{data.topic}} at {{window.startLocal}}' },
    email: { subject: '{{eventType.name}}', text: 'Hello {{user.name}}', html: '<p>Hello {{user.name}}</p>' },
  };

  test('create with templates, get, list, patch per channel, delete', async () => {
    const created = await request(t.app).post('/v1/programs/1/event-types').send({ id: 7, name: 'Term starts', templates });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/v1/programs/1/event-types/7');
    expect(created.body).toMatchObject({ id: '7', programId: '1', templates });

    expect((await request(t.app).get('/v1/programs/1/event-types/7')).body.name).toBe('Term starts');
    const list = await request(t.app).get('/v1/programs/1/event-types');
    expect(list.body).toMatchObject({ total: 1, items: [{ id: '7' }] });

    const patched = await request(t.app).patch('/v1/programs/1/event-types/7').send({ templates: { sms: { text: 'New {{data.x}}' }, email: null } });
    expect(patched.status).toBe(200);
    expect(patched.body.templates).toEqual({ sms: { text: 'New {{data.x}}' } });

    expect((await request(t.app).delete('/v1/programs/1/event-types/7')).status).toBe(204);
    expect((await request(t.app).get('/v1/programs/1/event-types/7')).status).toBe(404);
  });

  test('a template with a Handlebars syntax error is refused with 422 naming the field', async () => {
    const r = await request(t.app)
      .post('/v1/programs/1/event-types')
      .send({ id: 'bad', name: 'Bad', templates: { sms: { text: 'Hi {{user.name' }, email: { subject: 'ok', text: '{{#if x}}open' } } });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('UNPROCESSABLE');
    expect(fieldsOf(r.body)).toEqual(['templates.sms.text', 'templates.email.text']);
    expect((await request(t.app).get('/v1/programs/1/event-types/bad')).status).toBe(404);

    await request(t.app).post('/v1/programs/1/event-types').send({ id: 'ok', name: 'Ok', templates }).expect(201);
    const p = await request(t.app).patch('/v1/programs/1/event-types/ok').send({ templates: { email: { subject: '{{/if}}', text: 't' } } });
    expect(p.status).toBe(422);
    expect(fieldsOf(p.body)).toEqual(['templates.email.subject']);
    expect((await request(t.app).get('/v1/programs/1/event-types/ok')).body.templates).toEqual(templates);
  });

  test('an email template needs subject and text; unknown template keys are refused', async () => {
    const r = await request(t.app).post('/v1/programs/1/event-types').send({ name: 'x', templates: { email: { text: 't' }, push: { text: 'p' } } });
    expect(r.status).toBe(400);
    expect(fieldsOf(r.body).sort()).toEqual(['templates.email.subject', 'templates.push']);
  });

  test('event types of a missing program are 404; duplicates 409; ids 1 and "1" match', async () => {
    expect((await request(t.app).post('/v1/programs/2/event-types').send({ name: 'x' })).status).toBe(404);
    expect((await request(t.app).get('/v1/programs/2/event-types')).status).toBe(404);
    await request(t.app).post('/v1/programs/1/event-types').send({ id: 1, name: 'x' }).expect(201);
    expect((await request(t.app).post('/v1/programs/1/event-types').send({ id: '1', name: 'y' })).status).toBe(409);
    expect((await request(t.app).patch('/v1/programs/1/event-types/9').send({ name: 'y' })).status).toBe(404);
  });

  test('deleting a program deletes its event types', async () => {
    await request(t.app).post('/v1/programs/1/event-types').send({ id: 1, name: 'x' }).expect(201);
    await request(t.app).delete('/v1/programs/1').expect(204);
    expect((await request(t.app).get('/v1/programs/1/event-types/1')).status).toBe(404);
  });
});
