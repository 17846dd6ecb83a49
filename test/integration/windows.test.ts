// Time windows as a user sees them: scheduled starts, closing an open window, cancelling,
// and expiry of messages that no worker handed to a provider before the window closed.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';
import { readOutbox } from '../../src/providers/outbox-file';

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

async function seed(h: RunningHerald, users: number): Promise<void> {
  await h.store.programs.create('default', { id: 'p', name: 'Clinic' });
  await h.store.eventTypes.create('default', { id: 'e', programId: 'p', name: 'Reminder', templates: { sms: { text: 'Reminder for {{user.name}}' } } });
  for (let i = 0; i < users; i++) {
    await h.store.users.create('default', { id: `u${i}`, name: `User ${i}`, phone: `+2547000000${String(i).padStart(2, '0')}` });
    await h.store.subscriptions.create('default', { id: `s${i}`, userId: `u${i}`, programId: 'p', channels: ['sms'] });
  }
}

describe('time windows (embedded store and queue, outbox providers)', () => {
  let herald: RunningHerald;
  beforeEach(async () => {
    herald = await startTestHerald(testConfig('embedded'));
    await seed(herald, 3);
  });
  afterEach(() => disposeTestHerald(herald));

  const api = () => request(herald.url!);
  const counts = async (id: string) => (await api().get(`/v1/notifications/${id}`)).body;

  it('holds a future start as scheduled, then dispatches it at its start time', async () => {
    const r = await api().post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: iso(1500) });
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('scheduled');
    expect((await counts(r.body.id)).total).toBe(0);
    const done = await eventually('dispatch after the start', async () => {
      const c = await counts(r.body.id);
      return c.counts?.sent === 3 ? c : undefined;
    });
    expect(done.status).toBe('dispatched');
    const sentAt = readOutbox(herald.config.dataDir, 'sms').map((e) => Date.parse(e.time));
    expect(Math.min(...sentAt)).toBeGreaterThanOrEqual(Date.parse(r.body.startTime));
  });

  it('refuses a closed window that is already past, and an end before the start, with 422', async () => {
    const past = await api().post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: iso(-7200_000), endTime: iso(-3600_000) });
    expect(past.status).toBe(422);
    expect(past.body.error.issues[0].field).toBe('endTime');
    const reversed = await api().post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: iso(3600_000), endTime: iso(60_000) });
    expect(reversed.status).toBe(422);
    expect((await api().get('/v1/notifications')).body.total).toBe(0);
  });

  it('gives an open window the default validity and lets it be closed later', async () => {
    const r = await api().post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: iso(3600_000) });
    expect(Date.parse(r.body.validUntil) - Date.parse(r.body.startTime)).toBe(48 * 3600_000);
    const end = iso(7200_000);
    const closed = await api().patch(`/v1/notifications/${r.body.id}`).send({ endTime: end });
    expect(closed.status).toBe(200);
    expect(closed.body.endTime).toBe(end);
    expect(closed.body.validUntil).toBe(end);
    const bad = await api().patch(`/v1/notifications/${r.body.id}`).send({ endTime: iso(-1000) });
    expect(bad.status).toBe(422);
  });

  it('cancels what was not yet sent', async () => {
    const r = await api().post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: iso(60_000) });
    const c = await api().post(`/v1/notifications/${r.body.id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelled');
    expect((await api().post(`/v1/notifications/${r.body.id}/cancel`)).status).toBeLessThan(500);
    expect(readOutbox(herald.config.dataDir, 'sms')).toHaveLength(0);
  });
});

describe('expiry with no worker running', () => {
  let server: RunningHerald;
  afterEach(() => disposeTestHerald(server));

  it('expires queued messages once the window closes, and a late worker never sends them', async () => {
    const config = testConfig('embedded');
    server = await startTestHerald(config, 'server');
    await seed(server, 2);
    const r = await request(server.url!).post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: iso(0), endTime: iso(1500) });
    expect(r.status).toBe(202);
    await eventually('messages queued', async () => (await request(server.url!).get(`/v1/notifications/${r.body.id}`)).body.counts?.queued === 2);
    const expired = await eventually(
      'messages expired by the sweeper',
      async () => {
        const b = (await request(server.url!).get(`/v1/notifications/${r.body.id}`)).body;
        return b.counts?.expired === 2 ? b : undefined;
      },
      10_000,
    );
    expect(expired.counts.sent).toBeUndefined();
    const worker = await startTestHerald(config, 'sms');
    await new Promise((res) => setTimeout(res, 1000));
    await worker.stop();
    expect(readOutbox(config.dataDir, 'sms')).toHaveLength(0);
  });
});
