// Personal data stays out of the logs: a Herald process sends to one user through every
// provider's failure path (the fakes refuse, several echoing the number or address back in
// their error text, as real vendors do), then the whole log, the consolidated one read back
// from the store and the process's stdout, is searched for the full phone number and address.
import { freePort } from '../support/processes';
import { eventually, tempDir } from '../support/herald';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { startFakeAfricasTalking, startFakeGateway, startFakeInfobip, startFakeVonage } from '../support/fake-sms-apis';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startFakeGmail } from '../support/fake-gmail';
import type { FakeServer } from '../support/fake-http-server';
import { embeddedEnv, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(120_000);

// Twilio's magic test number: its API answers 21211 "The 'To' number +15005550001 is not a valid phone number."
const PHONE = '+15005550001';
const EMAIL = 'jane.doe@example.com';
const SMS_ROUNDS = ['twilio', 'vonage', 'africastalking', 'infobip', 'http'];

describe('log lines mask phone numbers and e-mail addresses', () => {
  let twilio: FakeTwilio;
  let sink: SmtpSink;
  const fakes: FakeServer[] = [];
  let herald: LongRunning;
  let base: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: r.status, json: (await r.json().catch(() => undefined)) as any };
  };

  beforeAll(async () => {
    twilio = await startFakeTwilio();
    const vonage = await startFakeVonage();
    const at = await startFakeAfricasTalking();
    const infobip = await startFakeInfobip();
    const gateway = await startFakeGateway();
    const gmail = await startFakeGmail();
    sink = await startSmtpSink();
    fakes.push(vonage, at, infobip, gateway, gmail);
    // Every vendor refuses, in its own words.
    vonage.failNext(100, { vendor: '3' });
    at.failNext(100, { vendor: '403' });
    infobip.failNext(100, { vendor: 'REJECTED_DESTINATION' });
    gateway.respondWith(400, { error: `destination ${PHONE} is blocked`, to: PHONE.slice(1) });
    gmail.failNext(100, { vendor: 'invalidArgument' });
    sink.failNext(100, 550, { stage: 'rcpt', message: `5.1.1 <${EMAIL}>: Recipient address rejected: User unknown` });

    const paused = (id: string, first: string) => (id === first ? {} : { paused: true });
    const sms = [
      { id: 'twilio', type: 'twilio', options: { accountSid: twilio.accountSid, authToken: twilio.authToken, from: '+15005550006', apiUrl: twilio.url } },
      { id: 'vonage', type: 'vonage', options: { apiKey: vonage.apiKey, apiSecret: vonage.apiSecret, from: 'Herald', baseUrl: vonage.url } },
      { id: 'africastalking', type: 'africastalking', options: { username: at.username, apiKey: at.apiKey, baseUrl: at.url } },
      { id: 'infobip', type: 'infobip', options: { apiKey: infobip.apiKey, baseUrl: infobip.url, from: 'Herald' } },
      { id: 'http', type: 'http', options: { url: `${gateway.url}/send` } },
    ].map((p) => ({ ...p, ...paused(p.id, 'twilio') }));
    const email = [
      { id: 'smtp', type: 'smtp', options: { url: sink.url, from: 'Herald <herald@example.org>' } },
      { id: 'gmail', type: 'gmail', paused: true, options: { from: 'Herald <herald@example.org>', clientId: gmail.clientId, clientSecret: gmail.clientSecret, refreshToken: gmail.refreshToken, rootUrl: gmail.rootUrl, tokenUrl: gmail.tokenUrl } },
    ];
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    herald = await startHeraldChild(['all'], embeddedEnv(tempDir('herald-mask-'), {
      DISPATCH_PORT: String(port),
      LOG_LEVEL: 'debug',
      HERALD_SMS_PROVIDERS: JSON.stringify(sms),
      HERALD_EMAIL_PROVIDERS: JSON.stringify(email),
      HERALD_PROVIDERS_REFRESH_MS: '100',
      // One attempt: the failure is final at once, without failing over to the paused providers.
      HERALD_MAX_ATTEMPTS: '1',
      HERALD_RETRY_BASE_MS: '50',
      HERALD_RETRY_MAX_MS: '100',
    }));
    await api('POST', '/v1/programs', { id: 'p', name: 'Program' });
    await api('POST', '/v1/programs/p/event-types', { id: 'e', name: 'Event', templates: { sms: { text: 'Hi {{user.name}}' }, email: { subject: 'Hi', text: 'Hi {{user.name}}' } } });
    expect((await api('POST', '/v1/users', { id: 'u1', name: 'Jane', phone: PHONE, email: EMAIL })).status).toBe(201);
    expect((await api('POST', '/v1/subscriptions', { userId: 'u1', programId: 'p', channels: ['sms', 'email'] })).status).toBe(201);
  });

  afterAll(async () => {
    if (herald) await stopChild(herald, 'SIGTERM');
    await Promise.all([twilio?.close(), sink?.close(), ...fakes.map((f) => f.close())]);
  });

  it('through twilio, vonage, africastalking, infobip, http, smtp and gmail, and in request errors', async () => {
    const errors: string[] = [];
    for (const [i, provider] of SMS_ROUNDS.entries()) {
      if (i > 0) {
        expect((await api('PATCH', `/v1/providers/${SMS_ROUNDS[i - 1]}`, { paused: true })).status).toBe(200);
        expect((await api('PATCH', `/v1/providers/${provider}`, { paused: false })).status).toBe(200);
      }
      if (i === 1) {
        await api('PATCH', '/v1/providers/smtp', { paused: true });
        await api('PATCH', '/v1/providers/gmail', { paused: false });
      }
      await new Promise((r) => setTimeout(r, 400)); // workers re-read the routing state every 100 ms
      const sent = await api('POST', '/v1/notifications', { programId: 'p', eventTypeId: 'e', startTime: new Date().toISOString() });
      expect(sent.status).toBe(202);
      const messages = await eventually(`round ${provider}: both messages failed`, async () => {
        const page = (await api('GET', `/v1/notifications/${sent.json.id}/messages`)).json;
        return page.items.length === 2 && page.items.every((m: { status: string }) => m.status === 'failed') ? page.items : undefined;
      }, 30_000, 200);
      for (const m of messages) errors.push(`${m.provider}: ${m.error.message}`);
    }
    // Request errors: a malformed body is echoed in the parser's message, an invalid one names fields.
    expect((await api('POST', '/v1/users', `{"name":"X","phone":"${PHONE}","email":"${EMAIL}",`)).status).toBe(400);
    expect((await api('POST', '/v1/users', { name: 'X', phone: `${PHONE}999`, email: `${EMAIL}@` })).status).toBe(400);

    // The records keep the full values: the providers' error texts did carry them.
    const records = errors.join('\n');
    expect(records).toContain(PHONE);
    expect(records).toContain(EMAIL);
    expect(new Set(errors.map((e) => e.split(':')[0]))).toEqual(new Set([...SMS_ROUNDS, 'smtp', 'gmail']));

    const stored = await eventually('the failures in the consolidated log', async () => {
      const lines = (await api('GET', '/v1/logs?limit=1000')).json.items as Array<{ message: string; meta?: { provider?: string } }>;
      const failing = new Set(lines.filter((l) => /message failed|failing over|will retry/.test(l.message)).map((l) => l.meta?.provider));
      return [...SMS_ROUNDS, 'smtp', 'gmail'].every((p) => failing.has(p)) && lines.some((l) => /http 400/.test(l.message)) ? lines : undefined;
    }, 10_000, 200);
    const everything = `${JSON.stringify(stored)}\n${herald.output()}`;
    for (const value of [PHONE, PHONE.slice(1), `${PHONE}999`, EMAIL, encodeURIComponent(PHONE), encodeURIComponent(EMAIL)]) {
      expect(everything.includes(value) ? `${value} found in the log` : 'absent').toBe('absent');
    }
    // Masked, not dropped: an operator still sees which number and which address.
    expect(everything).toContain('+1500*****01');
    expect(everything).toContain('j***@example.com');
  });
});
