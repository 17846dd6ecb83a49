// The twilio provider: the real twilio SDK over real HTTP against the fake Twilio, and status
// callbacks signed by the fake, received over HTTP and checked by parseDeliveryReport.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '../../src/providers/sms/twilio';
import { ProviderError, type DeliveryReport, type SmsProvider } from '../../src/providers/types';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';

const FROM = '+15005550006';
const TO = '+254700000001';

interface Receiver {
  url: string;
  reports: DeliveryReport[];
  errors: ProviderError[];
  close(): Promise<void>;
}

/** Herald's webhook endpoint in miniature: full URL, headers, parsed and raw body. */
async function startReceiver(provider: () => SmsProvider): Promise<Receiver> {
  const reports: DeliveryReport[] = [];
  const errors: ProviderError[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      try {
        const parsed = provider().parseDeliveryReport!({
          url: `${base}${req.url}`,
          headers: req.headers,
          body: Object.fromEntries(new URLSearchParams(rawBody.toString())),
          rawBody,
        });
        reports.push(...parsed);
        res.writeHead(200).end('ok');
      } catch (e) {
        errors.push(e as ProviderError);
        res.writeHead((e as ProviderError).code === 'BAD_SIGNATURE' ? 403 : 400).end((e as Error).message);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base, reports, errors, close: () => new Promise((r) => server.close(() => r())) };
}

async function sendError(p: SmsProvider, to = TO, validForS = 3600): Promise<ProviderError> {
  const err = await p.send({ messageId: 'm-err', part: 0, to, text: 'x', validUntil: new Date(Date.now() + validForS * 1000) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('twilio provider', () => {
  let fake: FakeTwilio;
  let receiver: Receiver;
  let provider: SmsProvider;
  const make = (options: Record<string, unknown> = {}, publicUrl?: string): SmsProvider =>
    create(
      { id: 'twilio-test', type: 'twilio', channel: 'sms', options: { accountSid: fake.accountSid, authToken: fake.authToken, from: FROM, apiUrl: fake.url, ...options } },
      { dataDir: '/nonexistent', publicUrl },
    );

  beforeEach(async () => {
    fake = await startFakeTwilio();
    receiver = await startReceiver(() => provider);
    provider = make({ timeoutMs: 2000 }, `${receiver.url}/`);
  });
  afterEach(async () => {
    await fake.close();
    await receiver.close();
  });

  it('sends To, From, Body, ValidityPeriod from validUntil and the default StatusCallback', async () => {
    const result = await provider.send({ messageId: 'm1', part: 0, to: TO, text: 'Clinic opens at 9', validUntil: new Date(Date.now() + 3600_000) });
    expect(fake.received).toHaveLength(1);
    const got = fake.received[0];
    expect(got).toMatchObject({ to: TO, from: FROM, body: 'Clinic opens at 9', statusCallback: `${receiver.url}/v1/webhooks/twilio/twilio-test` });
    expect(got.validityPeriod).toBeGreaterThanOrEqual(3598);
    expect(got.validityPeriod).toBeLessThanOrEqual(3600);
    expect(result).toEqual({ providerMessageId: got.sid, status: 'sent', providerStatus: 'queued' });
    expect(got.sid).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('clamps ValidityPeriod to 36000 s and sends no StatusCallback without a public URL', async () => {
    const p = make();
    await p.send({ messageId: 'm2', part: 1, to: TO, text: 'later', validUntil: new Date(Date.now() + 48 * 3600_000) });
    expect(fake.received[0].validityPeriod).toBe(36000);
    expect(fake.received[0].statusCallback).toBeUndefined();
  });

  it('sends through a messaging service when from is an MG sid', async () => {
    const mg = `MG${'a'.repeat(32)}`;
    const res = await make({ from: mg }).send({ messageId: 'm3', part: 0, to: TO, text: 'hi', validUntil: new Date(Date.now() + 60_000) });
    expect(fake.received[0].messagingServiceSid).toBe(mg);
    expect(fake.received[0].from).toBeUndefined();
    expect(res.providerStatus).toBe('accepted');
  });

  it('refuses a message whose validity has elapsed without calling Twilio', async () => {
    const err = await sendError(provider, TO, 0.5);
    expect(err).toMatchObject({ code: 'REJECTED', retryable: false, message: 'validity elapsed' });
    expect(fake.requests).toHaveLength(0);
  });

  it('maps a wrong auth token to AUTH, not retryable', async () => {
    const err = await sendError(make({ authToken: 'wrong' }));
    expect(err).toMatchObject({ code: 'AUTH', retryable: false, details: { httpStatus: 401, providerCode: '20003' } });
    expect(fake.received).toHaveLength(0);
  });

  it('maps 500 to retryable SERVER_ERROR, and the next send goes through', async () => {
    fake.failNext(1, 500);
    const err = await sendError(provider);
    expect(err).toMatchObject({ code: 'SERVER_ERROR', retryable: true, details: { httpStatus: 500, providerCode: '20500' } });
    await provider.send({ messageId: 'm4', part: 0, to: TO, text: 'again', validUntil: new Date(Date.now() + 60_000) });
    expect(fake.received.map((m) => m.body)).toEqual(['again']);
  });

  it('maps 429 to RATE_LIMITED with Retry-After', async () => {
    fake.failNext(1, 429, { retryAfterS: 2 });
    const err = await sendError(provider);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryable: true, details: { httpStatus: 429, retryAfterMs: 2000 } });
    expect(fake.requests).toHaveLength(1); // the SDK did not retry on its own
  });

  it('maps an unanswered request to retryable TIMEOUT that may have been accepted', async () => {
    const p = make({ timeoutMs: 300 });
    fake.failNext(1, 'timeout');
    const err = await sendError(p);
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true, details: { mayHaveBeenAccepted: true } });
    expect(fake.received).toHaveLength(1);
  });

  it('times out on a slow answer but not on latency inside the timeout', async () => {
    const p = make({ timeoutMs: 500 });
    fake.failNext(1, 'slow', { delayMs: 1500 });
    expect(await sendError(p)).toMatchObject({ code: 'TIMEOUT', retryable: true });
    fake.setLatency(100);
    await expect(p.send({ messageId: 'm5', part: 0, to: TO, text: 'ok', validUntil: new Date(Date.now() + 60_000) })).resolves.toMatchObject({
      status: 'sent',
    });
  });

  it('maps a refused connection to NETWORK that was not accepted', async () => {
    const url = fake.url;
    await fake.close();
    const p = create(
      { id: 'dead', type: 'twilio', channel: 'sms', options: { accountSid: fake.accountSid, authToken: 'x', from: FROM, apiUrl: url } },
      { dataDir: '/nonexistent' },
    );
    const err = await sendError(p);
    expect(err).toMatchObject({ code: 'NETWORK', retryable: true, details: { providerCode: 'ECONNREFUSED', mayHaveBeenAccepted: false } });
    fake = await startFakeTwilio(); // for afterEach
  });

  it.each([
    ['+15005550001', '21211'],
    ['+15005550009', '21614'],
    ['0700 000 001', '21211'],
  ])('maps recipient %s to INVALID_RECIPIENT (%s)', async (to, providerCode) => {
    const err = await sendError(provider, to);
    expect(err).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false, details: { httpStatus: 400, providerCode } });
  });

  it('maps other 400s to REJECTED', async () => {
    const err = await provider
      .send({ messageId: 'm6', part: 0, to: TO, text: 'x'.repeat(1601), validUntil: new Date(Date.now() + 60_000) })
      .catch((e: ProviderError) => e);
    expect(err).toMatchObject({ code: 'REJECTED', retryable: false, details: { providerCode: '21617' } });
  });

  it('maps signed status callbacks to Herald statuses', async () => {
    const { providerMessageId: sid } = await provider.send({ messageId: 'm7', part: 0, to: TO, text: 'hi', validUntil: new Date(Date.now() + 60_000) });
    expect((await fake.sendStatusCallback(sid, 'sent')).status).toBe(200);
    expect((await fake.sendStatusCallback(sid, 'delivered')).status).toBe(200);
    expect((await fake.sendStatusCallback(sid, 'undelivered', { errorCode: '30003' })).status).toBe(200);
    expect((await fake.sendStatusCallback(sid, 'canceled')).status).toBe(200);
    expect((await fake.sendStatusCallback(sid, 'constructor')).status).toBe(200); // unknown: no progress
    expect(receiver.errors).toEqual([]);
    expect(receiver.reports).toEqual([
      { providerMessageId: sid, status: 'sent', providerStatus: 'sent' },
      { providerMessageId: sid, status: 'delivered', providerStatus: 'delivered' },
      { providerMessageId: sid, status: 'undelivered', providerStatus: 'undelivered', errorCode: '30003' },
      { providerMessageId: sid, status: 'cancelled', providerStatus: 'canceled' },
      { providerMessageId: sid, status: undefined, providerStatus: 'constructor' }, // unmapped: the service records it, moves nothing
    ]);
  });

  it('throws BAD_SIGNATURE for a forged, missing or misdirected signature', async () => {
    const { providerMessageId: sid } = await provider.send({ messageId: 'm8', part: 0, to: TO, text: 'hi', validUntil: new Date(Date.now() + 60_000) });
    expect((await fake.sendStatusCallback(sid, 'delivered', { authToken: 'not-the-token' })).status).toBe(403);
    expect((await fake.sendStatusCallback(sid, 'delivered', { signature: null })).status).toBe(403);
    const signedForElsewhere = (await import('twilio')).default.getExpectedTwilioSignature(fake.authToken, 'https://example.org/x', {});
    expect((await fake.sendStatusCallback(sid, 'delivered', { signature: signedForElsewhere })).status).toBe(403);
    expect(receiver.reports).toEqual([]);
    expect(receiver.errors.map((e) => [e.code, e.retryable])).toEqual([
      ['BAD_SIGNATURE', false],
      ['BAD_SIGNATURE', false],
      ['BAD_SIGNATURE', false],
    ]);
  });

  it('names the provider and the option when configuration is wrong', () => {
    expect(() => create({ id: 'tw-x', type: 'twilio', channel: 'sms', options: { accountSid: fake.accountSid, from: FROM } }, { dataDir: '/x' })).toThrow(
      /provider 'tw-x' \(twilio\): option 'authToken' is required/,
    );
    expect(() => make({ from: '+0 not a number' })).toThrow(/option 'from'/);
  });
});
