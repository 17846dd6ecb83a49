// /v1/notifications and the legacy POST /: routing, validation and serialisation with a fake
// NotificationService; the legacy 2019 examples also through the real service and store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createEmbeddedBus } from '../../src/bus/embedded';
import { UnprocessableError } from '../../src/domain/errors';
import { createLogger } from '../../src/log/logger';
import { createNotificationService } from '../../src/services/notifications';
import { uniqueName } from '../support/services';
import { fieldsOf, makeApp, type TestApp } from './http.support';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp({ legacyTimezone: 'Africa/Nairobi' });
});
afterEach(async () => {
  await t.store.close();
});

describe('POST /v1/notifications', () => {
  test('accepts, passes typed values and the Idempotency-Key on, answers 202 with Location', async () => {
    const r = await request(t.app)
      .post('/v1/notifications')
      .set('Idempotency-Key', 'k-1')
      .send({ programId: 1, eventTypeId: '2', startTime: '2030-01-31T09:00:00+03:00', endTime: '2030-01-31T10:00:00Z', data: { name: 'Amina' } });
    expect(r.status).toBe(202);
    expect(r.headers.location).toBe('/v1/notifications/n1');
    expect(r.body).toEqual({ id: 'n1', status: 'scheduled', startTime: '2030-01-31T06:00:00.000Z', endTime: '2030-01-31T10:00:00.000Z', validUntil: '2030-01-31T10:00:00.000Z' });
    expect(t.notifications.accepted).toEqual([
      {
        workspaceId: 'default',
        programId: '1',
        eventTypeId: '2',
        startTime: new Date('2030-01-31T06:00:00Z'),
        endTime: new Date('2030-01-31T10:00:00Z'),
        data: { name: 'Amina' },
        source: 'api',
        idempotencyKey: 'k-1',
      },
    ]);
  });

  test('an open window without data gets empty data and no endTime', async () => {
    const r = await request(t.app).post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: '2030-01-31T09:00:00Z' });
    expect(r.status).toBe(202);
    expect(r.body).not.toHaveProperty('endTime');
    expect(t.notifications.accepted[0]).toMatchObject({ data: {}, source: 'api' });
    expect(t.notifications.accepted[0]).not.toHaveProperty('idempotencyKey');
  });

  test('every bad field is reported at once, and the service is never called', async () => {
    const r = await request(t.app).post('/v1/notifications').send({ programId: {}, startTime: 'tomorrow', endTime: '2030-02-30T10:00:00Z', data: [1], extra: 1 });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(r.body).sort()).toEqual(['data', 'endTime', 'eventTypeId', 'extra', 'programId', 'startTime']);
    expect(r.body.error.issues.find((i: { field: string }) => i.field === 'eventTypeId').reason).toBe('is required');
    expect(t.notifications.accepted).toHaveLength(0);
  });

  test('an end before (or at) the start is 422 on endTime', async () => {
    for (const endTime of ['2030-01-31T08:00:00Z', '2030-01-31T09:00:00Z']) {
      const r = await request(t.app).post('/v1/notifications').send({ programId: 1, eventTypeId: 1, startTime: '2030-01-31T09:00:00Z', endTime });
      expect(r.status).toBe(422);
      expect(fieldsOf(r.body)).toEqual(['endTime']);
    }
    expect(t.notifications.accepted).toHaveLength(0);
  });

  test("the service's typed errors keep their status and fields", async () => {
    t.notifications.failWith = new UnprocessableError([{ field: 'endTime', reason: 'window already closed' }]);
    const r = await request(t.app).post('/v1/notifications').send({ programId: 1, eventTypeId: 1, startTime: '2019-08-27T21:04:00Z', endTime: '2019-08-27T22:04:00Z' });
    expect(r.status).toBe(422);
    expect(r.body.error).toEqual({ code: 'UNPROCESSABLE', message: 'request cannot be processed', issues: [{ field: 'endTime', reason: 'window already closed' }] });
  });
});

describe('reading, closing and cancelling notifications', () => {
  beforeEach(async () => {
    await request(t.app).post('/v1/notifications').send({ programId: 1, eventTypeId: 1, startTime: '2030-01-31T09:00:00Z' }).expect(202);
    await request(t.app).post('/v1/notifications').send({ programId: 2, eventTypeId: 1, startTime: '2030-01-31T09:00:00Z' }).expect(202);
  });

  test('get with counts, list with filters, messages page, 404s', async () => {
    const one = await request(t.app).get('/v1/notifications/n1');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'n1', counts: { queued: 2, sent: 1 }, total: 3, startTime: '2030-01-31T09:00:00.000Z' });
    expect((await request(t.app).get('/v1/notifications/nope')).status).toBe(404);

    expect((await request(t.app).get('/v1/notifications')).body).toMatchObject({ total: 2, limit: 50, offset: 0 });
    expect((await request(t.app).get('/v1/notifications?programId=2')).body).toMatchObject({ total: 1, items: [{ id: 'n2' }] });
    expect((await request(t.app).get('/v1/notifications?status=bogus')).status).toBe(400);

    expect((await request(t.app).get('/v1/notifications/n1/messages?status=sent&channel=sms&limit=5')).body).toEqual({ items: [], total: 0, limit: 5, offset: 0 });
    expect(fieldsOf((await request(t.app).get('/v1/notifications/n1/messages?channel=fax')).body)).toEqual(['channel']);
    expect((await request(t.app).get('/v1/notifications/nope/messages')).status).toBe(404);
  });

  test('PATCH endTime closes the window; cancel answers the summary', async () => {
    const closed = await request(t.app).patch('/v1/notifications/n1').send({ endTime: '2030-01-31T11:00:00Z' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ id: 'n1', endTime: '2030-01-31T11:00:00.000Z' });
    expect(fieldsOf((await request(t.app).patch('/v1/notifications/n1').send({})).body)).toEqual(['endTime']);
    expect((await request(t.app).patch('/v1/notifications/nope').send({ endTime: '2030-01-31T11:00:00Z' })).status).toBe(404);

    const cancelled = await request(t.app).post('/v1/notifications/n2/cancel');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: 'n2', status: 'cancelled', counts: { cancelled: 3 } });
    expect((await request(t.app).post('/v1/notifications/nope/cancel')).status).toBe(404);
  });
});

describe('legacy POST /', () => {
  test("the brief's closed-window example: MM/DD/YYYY HH:mm in the legacy zone, ids as number and string", async () => {
    const r = await request(t.app)
      .post('/')
      .set('Content-type', 'application/json')
      .send('{"start_time":"08/27/2019 21:04", "end_time":"08/27/2019 22:04", "program_id":1, "event_type_id":"1"}');
    expect(r.status).toBe(202);
    expect(r.headers.location).toBe('/v1/notifications/n1');
    expect(t.notifications.accepted[0]).toEqual({
      workspaceId: 'default',
      programId: '1',
      eventTypeId: '1',
      startTime: new Date('2019-08-27T18:04:00Z'),
      endTime: new Date('2019-08-27T19:04:00Z'),
      data: {},
      source: 'legacy',
      reanchorPastWindow: true,
    });
    expect(r.body).toMatchObject({ id: 'n1', warnings: ['re-anchored'] });
  });

  test('the open-window example; other fields and a data object become the data; any content type', async () => {
    const r = await request(t.app)
      .post('/')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('{"start_time":"08/27/2019 21:04", "program_id":1, "event_type_id":"1", "name":"Amina", "data":{"amount":5}}');
    expect(r.status).toBe(202);
    expect(t.notifications.accepted[0]).toMatchObject({ endTime: undefined, data: { name: 'Amina', amount: 5 } });
    // Older clients sent an empty or null end_time for an open window.
    for (const end_time of ['', null]) {
      await request(t.app).post('/').send({ start_time: '08/27/2019 21:04', end_time, program_id: 1, event_type_id: 1 }).expect(202);
    }
    expect(t.notifications.accepted.map((a) => a.endTime)).toEqual([undefined, undefined, undefined]);
  });

  test('bad legacy times and ids are 400 with the legacy field names; end before start is 422', async () => {
    const r = await request(t.app).post('/').send({ start_time: '2019-08-27 21:04', end_time: '02/30/2019 10:00', program_id: null });
    expect(r.status).toBe(400);
    expect(fieldsOf(r.body).sort()).toEqual(['event_type_id', 'program_id', 'start_time']);
    const r2 = await request(t.app).post('/').send({ start_time: '02/30/2019 10:00', program_id: 1, event_type_id: 1 });
    expect([r2.status, fieldsOf(r2.body)]).toEqual([422, ['start_time']]);
    const r4 = await request(t.app).post('/').send({ start_time: '13/01/2019 10:00', program_id: 1, event_type_id: 1 });
    expect([r4.status, fieldsOf(r4.body)]).toEqual([400, ['start_time']]);
    const r3 = await request(t.app).post('/').send({ start_time: '08/27/2019 21:04', end_time: '08/27/2019 20:04', program_id: 1, event_type_id: 1 });
    expect(r3.status).toBe(422);
    expect(fieldsOf(r3.body)).toEqual(['end_time']);
    expect((await request(t.app).post('/').set('Content-Type', 'application/json').send('{"start_time":')).body.error.code).toBe('MALFORMED_JSON');
    expect(t.notifications.accepted).toHaveLength(0);
  });
});

describe('legacy POST / through the real service and store', () => {
  const legacy2019 = { start_time: '08/27/2019 21:04', end_time: '08/27/2019 22:04', program_id: 1, event_type_id: '1' };

  async function realApp(legacyPastWindow: 'reanchor' | 'reject') {
    const file = path.join(os.tmpdir(), `${uniqueName('herald-http-bus')}.db`);
    const bus = createEmbeddedBus({ file });
    await bus.connect();
    const app = await makeApp({ legacyPastWindow }, (d) => createNotificationService({ ...d, bus }));
    await request(app.app).post('/v1/programs').send({ id: 1, name: 'P' }).expect(201);
    await request(app.app).post('/v1/programs/1/event-types').send({ id: 1, name: 'E' }).expect(201);
    const cleanup = async () => {
      await bus.close();
      fs.rmSync(file, { force: true });
    };
    return { ...app, cleanup };
  }

  test("with 'reanchor' the brief's 2019 window is accepted now, with a warning", async () => {
    const real = await realApp('reanchor');
    try {
      const r = await request(real.app).post('/').send(legacy2019);
      expect(r.status).toBe(202);
      expect(r.body.status).toBe('accepted');
      expect(r.body.warnings[0]).toContain('had already closed');
      expect(new Date(r.body.validUntil).getTime()).toBeGreaterThan(Date.now());
      const stored = await real.store.notifications.get(r.body.id);
      expect(stored).toMatchObject({ programId: '1', eventTypeId: '1', source: 'legacy' });
      // The re-anchored window is the effective one; the window the caller asked for stays on the record.
      const shown = await request(real.app).get(`/v1/notifications/${r.body.id}`);
      expect(shown.body.endTime).toBeUndefined();
      expect(shown.body.requestedWindow).toEqual({ startTime: '2019-08-27T21:04:00.000Z', endTime: '2019-08-27T22:04:00.000Z' });
      const open = await request(real.app).post('/').send({ ...legacy2019, end_time: undefined, program_id: '1', event_type_id: 1 });
      expect(open.status).toBe(202);
      expect((await request(real.app).get(`/v1/notifications/${open.body.id}`)).body.requestedWindow).toBeUndefined();
    } finally {
      await real.cleanup();
    }
  });

  test("with 'reject' it is 422 on end_time and nothing is stored; an unknown program is 422 on program_id", async () => {
    const real = await realApp('reject');
    try {
      const r = await request(real.app).post('/').send(legacy2019);
      expect(r.status).toBe(422);
      expect(fieldsOf(r.body)).toEqual(['end_time']);
      const missing = await request(real.app).post('/').send({ ...legacy2019, program_id: 99 });
      expect(missing.status).toBe(422);
      expect(fieldsOf(missing.body)).toEqual(['program_id']);
      expect(missing.body.error.issues[0].reason).toBe("program '99' does not exist");
      const v1 = { programId: 1, eventTypeId: 1, startTime: '2030-01-31T09:00:00Z' };
      const noProgram = await request(real.app).post('/v1/notifications').send({ ...v1, programId: 'ghost' });
      expect([noProgram.status, fieldsOf(noProgram.body)]).toEqual([422, ['programId']]);
      const noEventType = await request(real.app).post('/v1/notifications').send({ ...v1, eventTypeId: 'ghost' });
      expect([noEventType.status, fieldsOf(noEventType.body)]).toEqual([422, ['eventTypeId']]);
      expect((await real.store.notifications.list({ workspaceId: 'default' }, { limit: 10, offset: 0 })).total).toBe(0);
    } finally {
      await real.cleanup();
    }
  });
});
