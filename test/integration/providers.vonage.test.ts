// The vonage provider over real HTTP against the fake Vonage SMS API, and delivery receipts
// built the way Vonage sends them (unsigned, signed with md5hash or an HMAC, GET or POST).
import { create } from '../../src/providers/sms/vonage';
import { ProviderError, type SmsProvider } from '../../src/providers/types';
import { startFakeVonage, type FakeVonage } from '../support/fake-sms-apis';

const TO = '+254700000001';
const HOUR = 3600_000;

async function sendError(p: SmsProvider, validForMs = HOUR): Promise<ProviderError> {
  const err = await p.send({ messageId: 'm-err', part: 0, to: TO, text: 'x', validUntil: new Date(Date.now() + validForMs) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('vonage provider', () => {
  let fake: FakeVonage;
  const make = (options: Record<string, unknown> = {}, publicUrl?: string): SmsProvider =>
    create(
      { id: 'vonage-test', type: 'vonage', channel: 'sms', options: { apiKey: fake.apiKey, apiSecret: fake.apiSecret, from: 'Herald', baseUrl: fake.url, timeoutMs: 2000, ...options } },
      { dataDir: '/nonexistent', publicUrl },
    );

  beforeEach(async () => {
    fake = await startFakeVonage();
  });
  afterEach(() => fake.close());

  it('posts api_key, api_secret, from, to without +, text, ttl from validUntil, client-ref and the default callback', async () => {
    const result = await make({}, 'https://herald.example.org/').send({ messageId: 'm1', part: 0, to: TO, text: 'Clinic opens at 9', validUntil: new Date(Date.now() + HOUR) });
    expect(fake.received).toHaveLength(1);
    const got = fake.received[0];
    expect(got).toMatchObject({ from: 'Herald', to: '254700000001', text: 'Clinic opens at 9', clientRef: 'm1', callback: 'https://herald.example.org/v1/webhooks/vonage/vonage-test' });
    expect(got.type).toBeUndefined();
    expect(got.ttl).toBeGreaterThan(HOUR - 5000);
    expect(got.ttl).toBeLessThanOrEqual(HOUR);
    expect(result).toEqual({ providerMessageId: got.messageId, status: 'sent', providerStatus: '0' });
  });

  it('sends type=unicode for text outside GSM 03.38, and keeps GSM extension characters as text', async () => {
    const p = make();
    await p.send({ messageId: 'u1', part: 0, to: TO, text: 'Habari 👋', validUntil: new Date(Date.now() + HOUR) });
    await p.send({ messageId: 'u2', part: 1, to: TO, text: 'Cost: 5€ [net]', validUntil: new Date(Date.now() + HOUR) });
    expect(fake.received.map((m) => m.type)).toEqual(['unicode', undefined]);
    expect(fake.received[0].text).toBe('Habari 👋');
  });

  it('clamps ttl to Vonage bounds (20 s .. 7 days) and sends no callback without a public URL', async () => {
    const p = make();
    await p.send({ messageId: 't1', part: 0, to: TO, text: 'soon', validUntil: new Date(Date.now() + 5000) });
    await p.send({ messageId: 't2', part: 0, to: TO, text: 'later', validUntil: new Date(Date.now() + 30 * 24 * HOUR) });
    expect(fake.received.map((m) => m.ttl)).toEqual([20000, 604800000]);
    expect(fake.received[0].callback).toBeUndefined();
  });

  it('refuses an elapsed validity without calling Vonage', async () => {
    expect(await sendError(make(), 200)).toMatchObject({ code: 'REJECTED', retryable: false, message: 'validity elapsed' });
    expect(fake.requests).toHaveLength(0);
  });

  it('maps status 4 (bad credentials) to AUTH and status 3 (invalid to) to REJECTED, neither retryable', async () => {
    expect(await sendError(make({ apiSecret: 'wrong' }))).toMatchObject({ code: 'AUTH', retryable: false, details: { providerCode: '4' } });
    const bad = await make()
      .send({ messageId: 'b', part: 0, to: 'not-a-number', text: 'x', validUntil: new Date(Date.now() + HOUR) })
      .catch((e: ProviderError) => e);
    expect(bad).toMatchObject({ code: 'REJECTED', retryable: false, details: { providerCode: '3' } });
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    ['1', 'RATE_LIMITED', true],
    ['5', 'SERVER_ERROR', true],
    ['6', 'INVALID_RECIPIENT', false],
    ['9', 'REJECTED', false],
  ])('maps Vonage status %s to %s', async (status, code, retryable) => {
    fake.failNext(1, { vendor: status });
    expect(await sendError(make())).toMatchObject({ code, retryable, details: { providerCode: status, mayHaveBeenAccepted: false } });
  });

  it('maps HTTP 500 and 429 to retryable errors (with Retry-After) and then sends', async () => {
    fake.failNext(1, 500);
    fake.failNext(1, 429);
    expect(await sendError(make())).toMatchObject({ code: 'SERVER_ERROR', retryable: true, details: { httpStatus: 500 } });
    expect(await sendError(make())).toMatchObject({ code: 'RATE_LIMITED', retryable: true, details: { httpStatus: 429, retryAfterMs: 1000 } });
    await make().send({ messageId: 'ok', part: 0, to: TO, text: 'again', validUntil: new Date(Date.now() + HOUR) });
    expect(fake.received.map((m) => m.text)).toEqual(['again']);
  });

  it('maps no answer to TIMEOUT that may have been accepted, and a dropped connection to NETWORK', async () => {
    fake.failNext(1, 'timeout');
    expect(await sendError(make({ timeoutMs: 300 }))).toMatchObject({ code: 'TIMEOUT', retryable: true, details: { mayHaveBeenAccepted: true } });
    expect(fake.received).toHaveLength(1);
    fake.failNext(1, 'reset');
    expect(await sendError(make())).toMatchObject({ code: 'NETWORK', retryable: true });
  });

  describe('delivery receipts', () => {
    async function sentId(p: SmsProvider): Promise<string> {
      return (await p.send({ messageId: 'dlr', part: 0, to: TO, text: 'hi', validUntil: new Date(Date.now() + HOUR) })).providerMessageId;
    }

    it.each([
      ['delivered', 'delivered'],
      ['accepted', 'sent'],
      ['buffered', 'sent'],
      ['failed', 'undelivered'],
      ['rejected', 'rejected'],
      ['expired', 'expired'],
    ])('maps an unsigned %s receipt to %s when no secret is configured', async (vendor, herald) => {
      const p = make({}, 'https://herald.example.org');
      const id = await sentId(p);
      const [report] = p.parseDeliveryReport!(fake.deliveryReport(id, vendor, { errCode: vendor === 'delivered' ? '0' : '6' }));
      expect(report).toMatchObject({ providerMessageId: id, status: herald, providerStatus: vendor });
      expect(report.errorCode).toBe(vendor === 'delivered' ? undefined : '6');
      expect(report.at).toBeInstanceOf(Date);
    });

    it.each(['md5hash', 'sha256', 'sha512'] as const)('accepts a receipt signed with %s and refuses a forged or missing sig', async (algorithm) => {
      const secret = 'sig-secret-123';
      const p = make({ signatureSecret: secret, signatureMethod: algorithm }, 'https://herald.example.org');
      const id = await sentId(p);
      expect(p.parseDeliveryReport!(fake.deliveryReport(id, 'delivered', { secret, algorithm }))[0]).toMatchObject({ status: 'delivered' });
      const forged = fake.deliveryReport(id, 'delivered', { secret: 'another-secret', algorithm });
      expect(() => p.parseDeliveryReport!(forged)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
      expect(() => p.parseDeliveryReport!(fake.deliveryReport(id, 'delivered'))).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
    });

    it('refuses a signed receipt whose parameters were changed or whose timestamp is stale', () => {
      const secret = 'sig-secret-123';
      const p = make({ signatureSecret: secret, signatureMethod: 'sha1' });
      const good = fake.deliveryReport('0A00000012345678', 'failed', { url: 'https://herald.example.org/v1/webhooks/vonage/vonage-test', secret, algorithm: 'sha1' });
      const tampered = { ...good, body: { ...(good.body as Record<string, string>), status: 'delivered' }, rawBody: Buffer.alloc(0) };
      expect(() => p.parseDeliveryReport!(tampered)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
      const stale = fake.deliveryReport('0A00000012345678', 'failed', { url: good.url, secret, algorithm: 'sha1', timestamp: Math.floor(Date.now() / 1000) - 3600 });
      expect(() => p.parseDeliveryReport!(stale)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
    });

    it('reads a receipt sent as GET query parameters, token and signature both checked', async () => {
      const secret = 'sig-secret-123';
      const p = make({ signatureSecret: secret, webhookToken: 'tok-12345678' }, 'https://herald.example.org');
      const id = await sentId(p);
      expect(fake.received[0].callback).toBe('https://herald.example.org/v1/webhooks/vonage/vonage-test?token=tok-12345678');
      const get = fake.deliveryReport(id, 'delivered', { method: 'GET', secret });
      expect(p.parseDeliveryReport!(get)[0]).toMatchObject({ providerMessageId: id, status: 'delivered' });
      const noToken = { ...get, url: get.url.replace('token=tok-12345678&', '') };
      expect(() => p.parseDeliveryReport!(noToken)).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
    });
  });

  it('rejects bad options with a message naming the instance', () => {
    expect(() => make({ apiKey: undefined })).toThrow("provider 'vonage-test' (vonage): option 'apiKey' is required");
    expect(() => make({ signatureMethod: 'sha3' })).toThrow(/signatureMethod/);
  });
});
