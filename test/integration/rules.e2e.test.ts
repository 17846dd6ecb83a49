// Explicit recipients, recipient paths and rules through the whole pipeline, on the embedded store
// and queue and on MongoDB + RabbitMQ: the survey example (savings above income flags the
// response; the collector named in it gets an SMS naming the respondent), a rule reading a field the
// event lacks, and an idempotent repeat. SMS land at a fake Twilio, email at a real SMTP server.
import fs from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { AMQP_URL, requireServices } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';

const SID = 'AC' + '2'.repeat(32);

/** The README's survey event type. */
export const SURVEY_EVENT_TYPE = {
  id: 'response',
  name: 'Survey response',
  templates: { sms: { text: 'Thank you {{user.name}}, we received your answers.' } },
  templateSets: { flagged: { sms: { text: 'Flagged: {{data.respondent_name}} reports savings {{data.monthly_savings}} above income {{data.monthly_income}}' } } },
  recipientPaths: [{ phone: 'data.respondent_phone', name: 'data.respondent_name' }],
  rules: [
    {
      id: 'overspend',
      when: { '>': [{ var: 'data.monthly_savings' }, { var: 'data.monthly_income' }] },
      recipients: [{ phone: 'data.collector_phone', template: 'flagged' }],
    },
  ],
};

test('the README shows this event type', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const m = /--data '(\{\s*"id": "response"[\s\S]*?\})' http:\/\/localhost:8080\/v1\/programs\/survey\/event-types/.exec(readme);
  expect(m).not.toBeNull();
  expect(JSON.parse(m![1])).toEqual(SURVEY_EVENT_TYPE);
});

const RESPONDENT = '+254700000101';
const COLLECTOR = '+254700000102';
const GUEST = '+254700000103';
const SUPERVISOR = '+254700000104';

describe.each<Backend>(['embedded', 'real'])('recipients and rules end to end (%s store and queue)', (backend) => {
  let twilio: FakeTwilio;
  let smtp: SmtpSink;
  let herald: RunningHerald;
  const api = () => request(herald.url!);
  const smsTo = (to: string) => twilio.received.filter((m) => m.to === to);

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    twilio = await startFakeTwilio({ accountSid: SID, authToken: 'token' });
    smtp = await startSmtpSink();
    herald = await startTestHerald(
      testConfig(backend, {
        'phone.defaultRegion': 'KE',
        // Metered: recipients' SMS cost credits like subscribers' (0.1 a segment; email is free).
        'credits.defaultBalance': 100,
        'providers.sms': [{ id: 'twilio', type: 'twilio', options: { accountSid: SID, authToken: 'token', from: '+15005550006', apiUrl: twilio.url } }],
        'providers.email': [{ id: 'smtp', type: 'smtp', options: { url: smtp.url, from: 'Herald <herald@example.org>' } }],
      }),
    );
    await api().post('/v1/programs').send({ id: 'survey', name: 'Household survey' }).expect(201);
    await api().post('/v1/programs/survey/event-types').send(SURVEY_EVENT_TYPE).expect(201);
    await api().post('/v1/users').send({ id: 'sup', name: 'Supervisor', phone: SUPERVISOR }).expect(201);
    await api().post('/v1/subscriptions').send({ userId: 'sup', programId: 'survey', channels: ['sms'] }).expect(201);
  }, 60_000);

  afterAll(async () => {
    await disposeTestHerald(herald);
    await twilio?.close();
    await smtp?.close();
  });

  it('flags savings above income: the collector gets an SMS naming the respondent; everyone gets exactly one message, once', async () => {
    const body = {
      programId: 'survey',
      eventTypeId: 'response',
      startTime: new Date().toISOString(),
      data: { respondent_name: 'Amina Otieno', respondent_phone: RESPONDENT, monthly_income: 12000, monthly_savings: 15000, collector_phone: '0700 000102' },
      recipients: [{ phone: '0700-000-103', name: 'Guest', data: { respondent_name: 'not shown' } }, { email: 'guest@example.org', name: 'Guest' }],
    };
    const first = await api().post('/v1/notifications').set('Idempotency-Key', `survey-${backend}`).send(body);
    expect(first.status).toBe(202);

    // Supervisor (subscriber), respondent (recipient path), collector (rule), guest (explicit): four SMS; one email.
    await eventually('four SMS and one email', () => twilio.received.length >= 4 && smtp.received.length >= 1);
    expect(smsTo(COLLECTOR).map((m) => m.body)).toEqual(['Flagged: Amina Otieno reports savings 15000 above income 12000']);
    expect(smsTo(RESPONDENT).map((m) => m.body)).toEqual(['Thank you Amina Otieno, we received your answers.']);
    expect(smsTo(GUEST).map((m) => m.body)).toEqual(['Thank you Guest, we received your answers.']);
    expect(smsTo(SUPERVISOR).map((m) => m.body)).toEqual(['Thank you Supervisor, we received your answers.']);
    expect(smtp.received.map((m) => m.to.join(','))).toEqual(['guest@example.org']);

    const n = await eventually('every message sent', async () => {
      const r = await api().get(`/v1/notifications/${first.body.id}`);
      return r.body.counts?.sent === 5 ? r.body : undefined;
    });
    expect(n.total).toBe(5);
    expect(n.rules).toEqual({ matched: ['overspend'] });
    expect(n.recipients.map((r: { via: string; phone?: string }) => `${r.via} ${r.phone ?? ''}`)).toEqual([
      `request ${GUEST}`, 'request ', `path ${RESPONDENT}`, `rule:overspend ${COLLECTOR}`,
    ]);
    expect(n.warnings).toBeUndefined();
    // Four one-segment SMS charged, the email free, nothing left reserved.
    await eventually('four SMS charged', async () => {
      const c = (await api().get('/v1/workspaces/default/credits')).body;
      return c.balance === 99.6 && c.reserved === 0;
    });

    // The same request with the same key: the first notification again, no second message anywhere.
    const again = await api().post('/v1/notifications').set('Idempotency-Key', `survey-${backend}`).send(body);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await new Promise((r) => setTimeout(r, 1500));
    expect(twilio.received).toHaveLength(4);
    expect(smtp.received).toHaveLength(1);
    expect((await api().get(`/v1/notifications/${first.body.id}`)).body.total).toBe(5);
    expect((await api().get('/v1/workspaces/default/credits')).body.balance).toBe(99.6);
  });

  it('treats a rule that reads a field the event lacks as false, with a warning on the notification', async () => {
    const before = twilio.received.length;
    const r = await api()
      .post('/v1/notifications')
      .send({ programId: 'survey', eventTypeId: 'response', startTime: new Date().toISOString(), data: { respondent_name: 'Baraka', respondent_phone: '+254700000201', monthly_savings: 9, collector_phone: COLLECTOR } });
    expect(r.status).toBe(202);
    expect(r.body.warnings).toEqual(["rule 'overspend' is false: it reads data.monthly_income, which the event lacks"]);
    await eventually('respondent and supervisor reached', () => twilio.received.length >= before + 2);
    const n = await eventually('both sent', async () => {
      const g = await api().get(`/v1/notifications/${r.body.id}`);
      return g.body.counts?.sent === 2 ? g.body : undefined;
    });
    expect(n.rules).toEqual({ matched: [] });
    expect(n.warnings).toEqual(r.body.warnings);
    await new Promise((res) => setTimeout(res, 500));
    // Nothing to the collector: the rule did not hold.
    expect(twilio.received.slice(before).map((m) => m.to).sort()).toEqual([SUPERVISOR, '+254700000201']);
  });

  if (backend === 'real') {
    it('takes recipients in a /v1-shaped event published to RabbitMQ', async () => {
      const before = twilio.received.length;
      const conn = await amqp.connect(AMQP_URL);
      try {
        const ch = await conn.createConfirmChannel();
        const event = {
          programId: 'survey', eventTypeId: 'response', startTime: new Date().toISOString(),
          data: { respondent_name: 'Chebet', respondent_phone: '+254700000301', monthly_income: 1, monthly_savings: 0 },
          recipients: [{ phone: '+254700000302' }],
        };
        ch.publish(`${herald.config.amqpPrefix}.events`, 'notification.create', Buffer.from(JSON.stringify(event)), { persistent: true });
        const bad = { ...event, recipients: [{ phone: '+254700000302' }, { phone: '+999 1' }] };
        ch.publish(`${herald.config.amqpPrefix}.events`, 'notification.create', Buffer.from(JSON.stringify(bad)), { persistent: true });
        await ch.waitForConfirms();
      } finally {
        await conn.close();
      }
      await eventually('three SMS from the bus event', () => twilio.received.length >= before + 3);
      await new Promise((res) => setTimeout(res, 500));
      expect(twilio.received.slice(before).map((m) => m.to).sort()).toEqual([SUPERVISOR, '+254700000301', '+254700000302']);
      // The event with a phone no country has is dead-lettered naming it, and stored nothing.
      const dead = await eventually('the bad event dead-lettered', async () => (await herald.bus.deadLetters('events', 10))[0]);
      expect(dead.reason).toMatch(/UNPROCESSABLE.*recipients\[1\]\.phone: must be a valid phone number/);
      expect((await api().get('/v1/notifications')).body.total).toBe(3);
    });
  }
});
