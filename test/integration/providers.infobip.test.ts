// The infobip provider over real HTTP against the fake Infobip SMS API, and delivery reports
// posted the way Infobip posts them (JSON results, token in the notifyUrl).
import { create } from '../../src/providers/sms/infobip';
import { ProviderError, type SmsProvider } from '../../src/providers/types';
import { INFOBIP_STATUS, startFakeInfobip, type FakeInfobip } from '../support/fake-sms-apis';

const TO = '+254700000001';
const HOUR = 3600_000;

async function sendError(p: SmsProvider, to = TO): Promise<ProviderError> {
  const err = await p.send({ messageId: 'm-err', part: 0, to, text: 'x', validUntil: new Date(Date.now() + HOUR) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('infobip provider', () => {
  let fake: FakeInfobip;
  const make = (options: Record<string, unknown> = {}, publicUrl?: string): SmsProvider =>
    create(
      { id: 'ib-test', type: 'infobip', channel: 'sms', options: { apiKey: fake.apiKey, baseUrl: fake.url, from: 'Herald', timeoutMs: 2000, ...options } },
      { dataDir: '/nonexistent', publicUrl },
    );

  beforeEach(async () => {
    fake = await startFakeInfobip();
  });
  afterEach(() => fake.close());

  it('posts App auth, destinations with Herald ids, validityPeriod in minutes, notifyUrl and callbackData', async () => {
    const p = make({ webhookToken: 'ib-token-1234' }, 'https://herald.example.org');
    const first = await p.send({ messageId: 'm1', part: 0, to: TO, text: 'Clinic opens at 9', validUntil: new Date(Date.now() + 90 * 60_000 + 30_000) });
    await p.send({ messageId: 'm1', part: 1, to: TO, text: 'Bring your card', validUntil: new Date(Date.now() + 72 * HOUR) });
    expect(fake.received).toEqual([
      expect.objectContaining({ authorization: `App ${fake.apiKey}`, messageId: 'm1', to: '254700000001', from: 'Herald', text: 'Clinic opens at 9', validityPeriod: 90, callbackData: 'm1' }),
      expect.objectContaining({ messageId: 'm1-1', validityPeriod: 2880, text: 'Bring your card' }),
    ]);
    expect(fake.received[0]).toMatchObject({ notifyUrl: 'https://herald.example.org/v1/webhooks/infobip/ib-test?token=ib-token-1234', notifyContentType: 'application/json' });
    expect(first).toEqual({ providerMessageId: 'm1', status: 'sent', providerStatus: 'PENDING_ACCEPTED' });
  });

  it('sends at least one minute of validity and no notifyUrl without a public URL', async () => {
    await make().send({ messageId: 'm2', part: 0, to: TO, text: 'soon', validUntil: new Date(Date.now() + 20_000) });
    expect(fake.received[0].validityPeriod).toBe(1);
    expect(fake.received[0].notifyUrl).toBeUndefined();
  });

  it('maps 401 to AUTH (with the service exception id) and a REJECTED_DESTINATION status to INVALID_RECIPIENT', async () => {
    expect(await sendError(make({ apiKey: 'wrong' }))).toMatchObject({ code: 'AUTH', retryable: false, details: { httpStatus: 401, providerCode: 'UNAUTHORIZED' } });
    expect(await sendError(make(), '+12')).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false, details: { providerCode: 'REJECTED_DESTINATION' } });
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    ['REJECTED_NOT_ENOUGH_CREDITS', 'REJECTED', false],
    ['REJECTED_SYSTEM_ERROR', 'SERVER_ERROR', true],
  ])('maps a %s send status to %s', async (name, code, retryable) => {
    fake.failNext(1, { vendor: name });
    expect(await sendError(make())).toMatchObject({ code, retryable, details: { providerCode: name } });
  });

  it('maps HTTP 429 and 500 to retryable errors, a timeout to TIMEOUT, and then sends', async () => {
    fake.failNext(1, 429);
    expect(await sendError(make())).toMatchObject({ code: 'RATE_LIMITED', retryable: true, details: { retryAfterMs: 1000 } });
    fake.failNext(1, 500);
    expect(await sendError(make())).toMatchObject({ code: 'SERVER_ERROR', retryable: true });
    fake.failNext(1, 'timeout');
    expect(await sendError(make({ timeoutMs: 300 }))).toMatchObject({ code: 'TIMEOUT', details: { mayHaveBeenAccepted: true } });
    await expect(make().send({ messageId: 'm3', part: 0, to: TO, text: 'ok', validUntil: new Date(Date.now() + HOUR) })).resolves.toMatchObject({ status: 'sent' });
  });

  describe('delivery reports', () => {
    const token = 'ib-token-1234';
    let p: SmsProvider;
    beforeEach(async () => {
      p = make({ webhookToken: token }, 'https://herald.example.org');
      await p.send({ messageId: 'dlr', part: 0, to: TO, text: 'hi', validUntil: new Date(Date.now() + HOUR) });
    });

    it.each([
      ['DELIVERED_TO_HANDSET', 'delivered'],
      ['DELIVERED_TO_OPERATOR', 'sent'],
      ['PENDING_ACCEPTED', 'sent'],
      ['UNDELIVERABLE_NOT_DELIVERED', 'undelivered'],
      ['EXPIRED_EXPIRED', 'expired'],
      ['REJECTED_DESTINATION', 'rejected'],
    ] as const)('maps %s to %s', (name, herald) => {
      const error = herald === 'undelivered' ? { groupId: 1, groupName: 'HANDSET_ERRORS', id: 27, name: 'EC_ABSENT_SUBSCRIBER', permanent: false } : undefined;
      const [report] = p.parseDeliveryReport!(fake.deliveryReport('dlr', INFOBIP_STATUS[name], { error }));
      expect(report).toMatchObject({ providerMessageId: 'dlr', status: herald, providerStatus: name });
      expect(report.errorCode).toBe(error ? 'EC_ABSENT_SUBSCRIBER' : undefined);
      expect(report.at).toBeInstanceOf(Date);
    });

    it('returns one report per result', () => {
      const a = fake.deliveryReport('dlr', INFOBIP_STATUS.DELIVERED_TO_HANDSET);
      const b = fake.deliveryReport('other', INFOBIP_STATUS.EXPIRED_EXPIRED, { url: a.url });
      const both = { results: [...(a.body as { results: unknown[] }).results, ...(b.body as { results: unknown[] }).results] };
      const reports = p.parseDeliveryReport!({ ...a, body: both, rawBody: Buffer.from(JSON.stringify(both)) });
      expect(reports.map((r) => [r.providerMessageId, r.status])).toEqual([['dlr', 'delivered'], ['other', 'expired']]);
    });

    it('refuses a report without the token or with another one', () => {
      const hook = fake.deliveryReport('dlr', INFOBIP_STATUS.DELIVERED_TO_HANDSET);
      expect(() => p.parseDeliveryReport!({ ...hook, url: hook.url.replace(/\?.*$/, '') })).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
      expect(() => p.parseDeliveryReport!({ ...hook, url: hook.url.replace(token, 'guessed-token') })).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
    });
  });
});
