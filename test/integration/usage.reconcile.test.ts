// A busy run through the real pipeline (retries, provider refusals, rejections, expiries, delivery
// reports): afterwards the usage rollups equal a count of the messages, and /metrics, scraped and
// parsed, counts what the messages went through.
import request from 'supertest';
import { USAGE_STATUS_COLUMNS, usageColumnOf, usageHourOf, type UsageStatusColumn } from '../../src/domain/usage';
import type { Message } from '../../src/domain/types';
import { createLogger } from '../../src/log/logger';
import type { RunningHerald } from '../../src/runtime';
import { createDeliveryReports } from '../../src/services/delivery-reports';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { parseMetrics } from '../support/metrics';
import { requireServices } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig, type Backend } from '../support/herald';

const SID = 'AC' + '2'.repeat(32);
const PENDING = new Set(['accepted', 'scheduled', 'queued', 'sending']);

async function allMessages(h: RunningHerald): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of h.store.messages.stream({})) out.push(m);
  return out;
}

describe.each<Backend>(['real', 'embedded'])('usage and metrics reconciled after a busy run (%s)', (backend) => {
  let twilio: FakeTwilio;
  let smtp: SmtpSink;
  let herald: RunningHerald;

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    twilio = await startFakeTwilio({ accountSid: SID, authToken: 'token' });
    smtp = await startSmtpSink();
    herald = await startTestHerald(
      testConfig(backend, {
        'providers.sms': [{ id: 'twilio', type: 'twilio', options: { accountSid: SID, authToken: 'token', from: '+15005550006', apiUrl: twilio.url } }],
        'providers.email': [{ id: 'smtp', type: 'smtp', options: { url: smtp.url, from: 'Herald <herald@example.org>' } }],
        'worker.maxAttempts': 50,
        'providers.circuitFailures': 1000,
        'log.level': 'warn',
        // Metered, SMS at 0.1 and e-mail at 0.05 per message: credits move on both channels.
        'credits.defaultBalance': 1000,
        'credits.emailPrice': 0.05,
      }),
    );
    const api = request(herald.url!);
    await api.post('/v1/programs').send({ id: 'p1', name: 'P' }).expect(201);
    await api.post('/v1/programs/p1/event-types').send({ id: 'e1', name: 'E', templates: { sms: { text: 'Hi {{user.name}}' }, email: { subject: 'S', text: 'T' } } }).expect(201);
    const users = [
      ...Array.from({ length: 12 }, (_, i) => ({ id: `ok${i}`, phone: `+2547000000${String(i).padStart(2, '0')}`, channels: ['sms'] })),
      { id: 'bad1', phone: '+15005550001', channels: ['sms'] }, // Twilio refuses the number: failed
      { id: 'nophone', email: 'n@example.org', channels: ['sms', 'email'] }, // sms rejected, email sent
      ...Array.from({ length: 4 }, (_, i) => ({ id: `mail${i}`, email: `m${i}@example.org`, channels: ['email'] })),
    ];
    for (const { channels, ...u } of users) {
      await api.post('/v1/users').send({ name: u.id, ...u }).expect(201);
      await api.post('/v1/subscriptions').send({ userId: u.id, programId: 'p1', channels }).expect(201);
    }
  }, 60_000);

  afterAll(async () => {
    await disposeTestHerald(herald);
    await twilio?.close();
    await smtp?.close();
  });

  it('counts every message once, in the column of its status, with segments; the metrics agree', async () => {
    const api = request(herald.url!);
    // Run 1: five provider errors first, so some messages are retried.
    twilio.failNext(5, 500);
    await api.post('/v1/notifications').send({ programId: 'p1', eventTypeId: 'e1', startTime: new Date().toISOString() }).expect(202);
    await eventually('run 1 settled', async () => {
      const all = await allMessages(herald);
      return all.length === 19 && all.every((m) => !PENDING.has(m.status));
    }, 30_000);
    // Delivery reports for some of what Twilio took: delivered, undelivered.
    const reports = createDeliveryReports({ store: herald.store, logger: createLogger('t', { silent: true }) });
    const sent = (await allMessages(herald)).filter((m) => m.status === 'sent' && m.channel === 'sms');
    for (const [i, m] of sent.slice(0, 6).entries()) {
      const status = i < 5 ? 'delivered' : 'undelivered';
      await reports.apply('twilio', { providerMessageId: m.providerMessageIds![0], status, providerStatus: status });
    }
    // Run 2: Twilio asks to come back after the window has closed: its SMS expire.
    twilio.failNext(10_000, 429, { retryAfterS: 30 });
    const end = new Date(Date.now() + 10_000).toISOString();
    await api.post('/v1/notifications').send({ programId: 'p1', eventTypeId: 'e1', startTime: new Date().toISOString(), endTime: end }).expect(202);
    await eventually('run 2 settled', async () => {
      const all = await allMessages(herald);
      return all.length === 38 && all.every((m) => !PENDING.has(m.status));
    }, 30_000);

    const messages = await allMessages(herald);
    const byStatus = (s: string) => messages.filter((m) => m.status === s).length;
    expect(byStatus('delivered')).toBe(5);
    expect(byStatus('undelivered')).toBe(1);
    expect(byStatus('failed')).toBeGreaterThanOrEqual(1);
    expect(byStatus('rejected')).toBe(2);
    expect(byStatus('expired')).toBeGreaterThanOrEqual(1);
    expect(messages.some((m) => m.attempts > 1)).toBe(true);

    // The rollups equal a count of the messages, per hour and column, for each dimension.
    const expected = (keep: (m: Message) => boolean) => {
      const byHour = new Map<number, Record<string, number>>();
      for (const m of messages.filter(keep)) {
        const h = usageHourOf(m).getTime();
        const row = byHour.get(h) ?? Object.fromEntries([...USAGE_STATUS_COLUMNS, 'segments'].map((c) => [c, 0]));
        row[usageColumnOf(m.status) as UsageStatusColumn]++;
        if (m.sentAt) row.segments += m.sms?.segments ?? 0;
        byHour.set(h, row);
      }
      return [...byHour.entries()].sort(([a], [b]) => a - b).map(([h, row]) => ({ hour: new Date(h), ...row }));
    };
    const from = new Date(Date.now() - 86_400_000);
    const to = new Date(Date.now() + 86_400_000);
    const actual = async (dimension: 'workspace' | 'program' | 'user', key: string, channel?: 'sms' | 'email') =>
      (await herald.store.usage.hourly({ workspaceId: 'default', dimension, key, from, to, channel })).map((h) => ({
        hour: h.hour,
        ...Object.fromEntries([...USAGE_STATUS_COLUMNS, 'segments'].map((c) => [c, h.counts[c as UsageStatusColumn | 'segments']])),
      }));
    await eventually('rollups written', async () => JSON.stringify(await actual('workspace', '*')) === JSON.stringify(expected(() => true)), 10_000);
    expect(await actual('workspace', '*')).toEqual(expected(() => true));
    expect(await actual('workspace', '*', 'email')).toEqual(expected((m) => m.channel === 'email'));
    expect(await actual('program', 'p1')).toEqual(expected((m) => m.programId === 'p1'));
    for (const user of ['ok0', 'bad1', 'nophone']) expect(await actual('user', user)).toEqual(expected((m) => m.userId === user));

    // /metrics: each status entered after the hand-over counted once per message that entered it.
    // Credits: charged is what was reserved for each message, refunded what came back for the unsent ones;
    // the rollups equal the messages' own costs, and the ledger's reserve and refund entries.
    const REFUNDED = new Set(['failed', 'expired', 'cancelled', 'rejected']);
    const credits = (keep: (m: Message) => boolean) => {
      const byHour = new Map<number, { creditsCharged: number; creditsRefunded: number }>();
      for (const m of messages.filter(keep)) {
        const h = usageHourOf(m).getTime();
        const row = byHour.get(h) ?? { creditsCharged: 0, creditsRefunded: 0 };
        row.creditsCharged += m.cost ?? 0;
        if (REFUNDED.has(m.status)) row.creditsRefunded += m.cost ?? 0;
        byHour.set(h, row);
      }
      return [...byHour.entries()].sort(([a], [b]) => a - b).map(([h, row]) => ({ hour: new Date(h), ...row }));
    };
    const actualCredits = async (dimension: 'workspace' | 'user', key: string, channel?: 'sms' | 'email') =>
      (await herald.store.usage.hourly({ workspaceId: 'default', dimension, key, from, to, channel })).map((h) => ({
        hour: h.hour, creditsCharged: h.counts.creditsCharged, creditsRefunded: h.counts.creditsRefunded,
      }));
    const costly = messages.filter((m) => (m.cost ?? 0) > 0);
    expect(costly.filter((m) => m.channel === 'sms').every((m) => m.cost === 100 * (m.sms?.segments ?? 1))).toBe(true);
    expect(costly.filter((m) => m.channel === 'email').every((m) => m.cost === 50)).toBe(true);
    expect(costly.some((m) => REFUNDED.has(m.status))).toBe(true);
    await eventually('credit rollups written', async () => JSON.stringify(await actualCredits('workspace', '*')) === JSON.stringify(credits(() => true)), 10_000);
    expect(await actualCredits('workspace', '*', 'sms')).toEqual(credits((m) => m.channel === 'sms'));
    expect(await actualCredits('user', 'bad1')).toEqual(credits((m) => m.userId === 'bad1'));
    const entries = async (kind: 'reserve' | 'refund') => (await herald.store.credits.ledger('default', { kind }, { limit: 1000, offset: 0 })).items;
    await eventually('refunds settled', async () => (await entries('refund')).length === costly.filter((m) => REFUNDED.has(m.status)).length, 10_000);
    const total = (rows: Array<{ creditsCharged: number; creditsRefunded: number }>, c: 'creditsCharged' | 'creditsRefunded') => rows.reduce((n, r) => n + r[c], 0);
    const rollups = await actualCredits('workspace', '*');
    expect(total(rollups, 'creditsCharged')).toBe(-(await entries('reserve')).reduce((n, e) => n + e.amount, 0));
    expect(total(rollups, 'creditsRefunded')).toBe((await entries('refund')).reduce((n, e) => n + e.amount, 0));
    // The report says the same in credits.
    const report = await api.get('/v1/usage').query({ start: from.toISOString(), end: to.toISOString(), every: '1day' }).expect(200);
    const inReport = (c: 'creditsCharged' | 'creditsRefunded') => report.body.items.reduce((n: number, b: Record<string, number>) => n + b[c], 0);
    expect(Math.round(inReport('creditsCharged') * 1000)).toBe(total(rollups, 'creditsCharged'));
    expect(Math.round(inReport('creditsRefunded') * 1000)).toBe(total(rollups, 'creditsRefunded'));

    const scrape = await api.get('/metrics').expect(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain/);
    const samples = parseMetrics(scrape.text);
    const counter = (name: string, status?: string) =>
      samples.filter((s) => s.name === name && (status === undefined || s.labels.status === status)).reduce((n, s) => n + s.value, 0);
    for (const status of ['sent', 'delivered', 'undelivered', 'failed', 'expired', 'rejected']) {
      const entered = messages.filter((m) => m.statusHistory.some((h) => h.status === status)).length;
      expect(`${status}: ${counter('herald_messages_total', status)}`).toBe(`${status}: ${entered}`);
    }
    const retried = messages.reduce((n, m) => n + m.statusHistory.filter((h) => h.reason?.startsWith('retry after')).length, 0);
    expect(counter('herald_retries_total')).toBe(retried);
    expect(counter('herald_provider_call_seconds_count')).toBeGreaterThanOrEqual(messages.filter((m) => m.sentAt).length);
    expect(counter('herald_accept_seconds_count')).toBe(2);
    expect(Math.round(counter('herald_credits_charged_total') * 1000)).toBe(total(rollups, 'creditsCharged'));
    expect(Math.round(counter('herald_credits_refunded_total') * 1000)).toBe(total(rollups, 'creditsRefunded'));
    expect(samples.some((s) => s.name === 'herald_circuit_state' && s.labels.provider === 'twilio')).toBe(true);
    expect(samples.some((s) => s.name === 'herald_queue_depth' && s.labels.queue === 'sms')).toBe(true);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.every((s) => !Object.keys(s.labels).some((k) => /message|user|notification/i.test(k)))).toBe(true);
  }, 120_000);
});
