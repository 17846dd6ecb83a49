// The brief's two curl bodies, posted to POST / exactly as written, followed through MongoDB
// and RabbitMQ (and, separately, the embedded store and queue) to the fake Twilio API and a
// real SMTP server, with the rendered text checked.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { requireServices } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';

const CLOSED = { start_time: '08/27/2019 21:04', end_time: '08/27/2019 22:04', program_id: 1, event_type_id: '1' };
const OPEN = { start_time: '08/27/2019 21:04', program_id: 1, event_type_id: '1' };

async function setUp(url: string): Promise<void> {
  const api = request(url);
  const ok = (r: request.Response) => {
    if (r.status >= 300) throw new Error(`set-up request failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };
  ok(await api.post('/v1/programs').send({ id: 1, name: 'Vaccination drive' }));
  ok(
    await api.post('/v1/programs/1/event-types').send({
      id: '1',
      name: 'Session scheduled',
      templates: {
        sms: { text: 'Hi {{user.name}}: {{eventType.name}} at {{window.startLocal}} ({{program.name}})' },
        email: { subject: '{{eventType.name}} for {{user.name}}', text: 'Dear {{user.name}}, see you at {{window.startLocal}}.', html: '<p>Dear {{user.name}}</p>' },
      },
    }),
  );
  const users = [
    { id: 'u-sms', name: 'Sam Sms', phone: '+254700000001', channels: ['sms'] },
    { id: 'u-mail', name: 'Mia Mail', email: 'mia@example.org', channels: ['email'] },
    { id: 'u-both', name: 'Bo Both', phone: '+254700000003', email: 'bo@example.org', timezone: 'Africa/Nairobi', channels: ['sms', 'email'] },
    { id: 'u-nophone', name: 'Nadia Nophone', email: 'nadia@example.org', channels: ['sms'] },
  ];
  for (const { channels, ...u } of users) {
    ok(await api.post('/v1/users').send(u));
    ok(await api.post('/v1/subscriptions').send({ userId: u.id, programId: 1, channels }));
  }
}

describe.each<Backend>(['real', 'embedded'])('pipeline end to end (%s store and queue)', (backend) => {
  let twilio: FakeTwilio;
  let smtp: SmtpSink;
  let herald: RunningHerald;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    twilio = await startFakeTwilio({ accountSid: 'AC' + '1'.repeat(32), authToken: 'token' });
    smtp = await startSmtpSink();
    const config = testConfig(backend, {
      'providers.sms': [{ id: 'twilio', type: 'twilio', options: { accountSid: 'AC' + '1'.repeat(32), authToken: 'token', from: '+15005550006', apiUrl: twilio.url } }],
      'providers.email': [{ id: 'smtp', type: 'smtp', options: { url: smtp.url, from: 'Herald <herald@example.org>' } }],
    });
    herald = await startTestHerald(config);
    await setUp(herald.url!);
  });

  afterAll(async () => {
    await disposeTestHerald(herald);
    await twilio?.close();
    await smtp?.close();
  });

  it('delivers both curl bodies to every subscriber over their channels, with rendered text', async () => {
    const closed = await request(herald.url!).post('/').set('Content-type', 'application/json').send(JSON.stringify(CLOSED));
    const open = await request(herald.url!).post('/').set('Content-type', 'application/json').send(JSON.stringify(OPEN));
    expect(closed.status).toBe(202);
    expect(open.status).toBe(202);
    expect(closed.body.id).toEqual(expect.any(String));
    expect(open.body.id).not.toEqual(closed.body.id);

    // Two notifications x (2 SMS users + 2 email users).
    await eventually('4 SMS at the fake Twilio', () => twilio.received.length >= 4);
    await eventually('4 emails at the SMTP server', () => smtp.received.length >= 4);

    const sms = twilio.received.map((m) => `${m.to} ${m.body}`).sort();
    expect(sms).toEqual([
      '+254700000001 Hi Sam Sms: Session scheduled at 2019-08-27 21:04 UTC (Vaccination drive)',
      '+254700000001 Hi Sam Sms: Session scheduled at 2019-08-27 21:04 UTC (Vaccination drive)',
      // Bo's timezone is Africa/Nairobi (UTC+3): the window is rendered in it.
      '+254700000003 Hi Bo Both: Session scheduled at 2019-08-28 00:04 GMT+3 (Vaccination drive)',
      '+254700000003 Hi Bo Both: Session scheduled at 2019-08-28 00:04 GMT+3 (Vaccination drive)',
    ]);
    expect(twilio.received.every((m) => m.from === '+15005550006')).toBe(true);
    const mails = smtp.received.map((m) => `${m.to.join(',')} | ${m.subject} | ${m.text.trim()}`).sort();
    expect(mails).toEqual([
      'bo@example.org | Session scheduled for Bo Both | Dear Bo Both, see you at 2019-08-28 00:04 GMT+3.',
      'bo@example.org | Session scheduled for Bo Both | Dear Bo Both, see you at 2019-08-28 00:04 GMT+3.',
      'mia@example.org | Session scheduled for Mia Mail | Dear Mia Mail, see you at 2019-08-27 21:04 UTC.',
      'mia@example.org | Session scheduled for Mia Mail | Dear Mia Mail, see you at 2019-08-27 21:04 UTC.',
    ]);

    // Status: every message final, the user without a phone rejected with a reason.
    for (const id of [closed.body.id, open.body.id]) {
      const summary = await eventually('all messages sent', async () => {
        const r = await request(herald.url!).get(`/v1/notifications/${id}`);
        return r.body.counts?.sent === 4 && r.body.counts?.rejected === 1 ? r.body : undefined;
      });
      expect(summary.status).toBe('dispatched');
      expect(summary.total).toBe(5);
      const rejected = await request(herald.url!).get(`/v1/notifications/${id}/messages?status=rejected`);
      expect(rejected.body.items).toHaveLength(1);
      expect(rejected.body.items[0].userId).toBe('u-nophone');
      expect(rejected.body.items[0].error.message).toMatch(/no phone/);
      const sent = await request(herald.url!).get(`/v1/notifications/${id}/messages?channel=sms&status=sent`);
      expect(sent.body.items).toHaveLength(2);
      for (const m of sent.body.items) {
        expect(m.provider).toBe('twilio');
        expect(m.providerMessageIds[0]).toMatch(/^SM[0-9a-f]{32}$/);
        expect(m.statusHistory.map((h: { status: string }) => h.status)).toEqual(['accepted', 'queued', 'sending', 'sent']);
      }
    }
    // The closed 2019 window arrived after it closed: re-anchored, and the notification says so.
    const closedN = await request(herald.url!).get(`/v1/notifications/${closed.body.id}`);
    expect(closedN.body.warnings?.join(' ')).toMatch(/closed/);
  });

  it('writes one consolidated log, searchable by notification and message', async () => {
    const posted = await request(herald.url!).post('/').send(OPEN);
    await eventually('messages sent', async () => (await request(herald.url!).get(`/v1/notifications/${posted.body.id}`)).body.counts?.sent === 4);
    const lines = await eventually('log lines for the notification', async () => {
      const r = await request(herald.url!).get(`/v1/logs?notificationId=${posted.body.id}`);
      const msgs: string[] = r.body.items.map((l: { message: string }) => l.message);
      return msgs.includes('notification dispatched') && msgs.filter((m) => m === 'message handed to provider').length === 4 ? r.body.items : undefined;
    });
    expect(lines.every((l: { notificationId: string; process: string }) => l.notificationId === posted.body.id && l.process === 'test-all')).toBe(true);
    const one = lines.find((l: { messageId?: string }) => l.messageId);
    const byMessage = await request(herald.url!).get(`/v1/logs?messageId=${encodeURIComponent(one.messageId)}`);
    expect(byMessage.body.items.length).toBeGreaterThan(0);
    expect(byMessage.body.items.every((l: { messageId: string }) => l.messageId === one.messageId)).toBe(true);

    // The worker's lines about a message carry its workspace: a viewer key of that workspace sees them.
    // (Last: once a key exists, protected mode ends and every request needs one.)
    const key = await request(herald.url!).post('/v1/workspaces/default/keys').send({ role: 'viewer', name: 'log reader' }).expect(201);
    const seen = await request(herald.url!).get(`/v1/logs?notificationId=${posted.body.id}`).set('Authorization', `Bearer ${key.body.key}`).expect(200);
    const viewerLines: string[] = seen.body.items.map((l: { message: string }) => l.message);
    expect(viewerLines.filter((m) => m === 'message handed to provider')).toHaveLength(4);
    expect(seen.body.items.every((l: { workspaceId?: string }) => l.workspaceId === 'default')).toBe(true);
  });
});
