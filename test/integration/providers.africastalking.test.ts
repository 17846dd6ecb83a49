// The africastalking provider over real HTTP against the fake Africa's Talking SMS API, and
// delivery reports posted the way Africa's Talking posts them (form fields, token in the URL).
import { create } from '../../src/providers/sms/africastalking';
import { ProviderError, type SmsProvider } from '../../src/providers/types';
import { startFakeAfricasTalking, type FakeAfricasTalking } from '../support/fake-sms-apis';

const TO = '+254700000001';
const HOUR = 3600_000;
const HOOK = 'https://herald.example.org/v1/webhooks/africastalking/at-test';

async function sendError(p: SmsProvider, to = TO, validForMs = HOUR): Promise<ProviderError> {
  const err = await p.send({ messageId: 'm-err', part: 0, to, text: 'x', validUntil: new Date(Date.now() + validForMs) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('africastalking provider', () => {
  let fake: FakeAfricasTalking;
  const make = (options: Record<string, unknown> = {}): SmsProvider =>
    create(
      { id: 'at-test', type: 'africastalking', channel: 'sms', options: { username: fake.username, apiKey: fake.apiKey, baseUrl: fake.url, timeoutMs: 2000, ...options } },
      { dataDir: '/nonexistent' },
    );

  beforeEach(async () => {
    fake = await startFakeAfricasTalking();
  });
  afterEach(() => fake.close());

  it('posts username, to, message and from with the apiKey header and asks for JSON', async () => {
    const result = await make({ from: 'HERALD' }).send({ messageId: 'm1', part: 0, to: TO, text: 'Clinic opens at 9', validUntil: new Date(Date.now() + HOUR) });
    expect(fake.received).toEqual([expect.objectContaining({ username: fake.username, to: TO, message: 'Clinic opens at 9', from: 'HERALD', accept: 'application/json' })]);
    expect(result).toEqual({ providerMessageId: fake.received[0].messageId, status: 'sent', providerStatus: 'Success' });
    expect(result.providerMessageId).toMatch(/^ATXid_/);
  });

  it('leaves from out when not configured and refuses an elapsed validity without calling', async () => {
    await make().send({ messageId: 'm2', part: 0, to: TO, text: 'hi', validUntil: new Date(Date.now() + HOUR) });
    expect(fake.received[0].from).toBeUndefined();
    expect(await sendError(make(), TO, 100)).toMatchObject({ code: 'REJECTED', message: 'validity elapsed' });
    expect(fake.requests).toHaveLength(1);
  });

  it('maps a wrong apiKey (HTTP 401) to AUTH and an invalid number (statusCode 403) to INVALID_RECIPIENT', async () => {
    expect(await sendError(make({ apiKey: 'wrong' }))).toMatchObject({ code: 'AUTH', retryable: false, details: { httpStatus: 401 } });
    expect(await sendError(make(), '0700')).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false, details: { providerCode: '403' } });
    expect(fake.received).toHaveLength(0);
  });

  it.each([
    ['405', 'REJECTED', false], // InsufficientBalance
    ['406', 'INVALID_RECIPIENT', false], // UserInBlacklist
    ['409', 'REJECTED', false], // DoNotDisturbRejection
    ['500', 'SERVER_ERROR', true], // InternalServerError
    ['501', 'SERVER_ERROR', true], // GatewayError
    ['502', 'REJECTED', false], // RejectedByGateway
  ])('maps recipient statusCode %s to %s', async (statusCode, code, retryable) => {
    fake.failNext(1, { vendor: statusCode });
    expect(await sendError(make())).toMatchObject({ code, retryable, details: { providerCode: statusCode } });
  });

  it('maps HTTP 503 and a timeout to retryable errors, and then sends', async () => {
    fake.failNext(1, 503);
    expect(await sendError(make())).toMatchObject({ code: 'SERVER_ERROR', retryable: true, details: { httpStatus: 503 } });
    fake.failNext(1, 'timeout');
    expect(await sendError(make({ timeoutMs: 300 }))).toMatchObject({ code: 'TIMEOUT', retryable: true, details: { mayHaveBeenAccepted: true } });
    await make().send({ messageId: 'm3', part: 0, to: TO, text: 'again', validUntil: new Date(Date.now() + HOUR) });
    expect(fake.received.map((m) => m.message)).toEqual(['x', 'again']);
  });

  describe('delivery reports', () => {
    const token = 'at-token-123456';

    it.each([
      ['Success', 'delivered'],
      ['Sent', 'sent'],
      ['Submitted', 'sent'],
      ['Buffered', 'sent'],
      ['Failed', 'undelivered'],
      ['AbsentSubscriber', 'undelivered'],
      ['Rejected', 'rejected'],
      ['Expired', 'expired'],
    ])('maps %s to %s', async (vendor, herald) => {
      const p = make({ webhookToken: token });
      const { providerMessageId } = await p.send({ messageId: 'd', part: 0, to: TO, text: 'hi', validUntil: new Date(Date.now() + HOUR) });
      const reason = vendor === 'Failed' || vendor === 'Rejected' ? 'UserDoesNotExist' : undefined;
      const report = p.parseDeliveryReport!(fake.deliveryReport(`${HOOK}?token=${token}`, providerMessageId, vendor, { failureReason: reason }));
      expect(report).toEqual([{ providerMessageId, status: herald, providerStatus: vendor, ...(reason ? { errorCode: reason } : {}) }]);
    });

    it('refuses a report without the token or with another one', () => {
      const p = make({ webhookToken: token });
      expect(() => p.parseDeliveryReport!(fake.deliveryReport(HOOK, 'ATXid_1', 'Success'))).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
      expect(() => p.parseDeliveryReport!(fake.deliveryReport(`${HOOK}?token=guess-1234`, 'ATXid_1', 'Success'))).toThrow(
        expect.objectContaining({ code: 'BAD_SIGNATURE' }),
      );
    });

    it('reads the raw form body when the body was not parsed', () => {
      const hook = fake.deliveryReport(`${HOOK}?token=${token}`, 'ATXid_2', 'Success');
      expect(make({ webhookToken: token }).parseDeliveryReport!({ ...hook, body: undefined })).toMatchObject([{ providerMessageId: 'ATXid_2', status: 'delivered' }]);
    });
  });
});
