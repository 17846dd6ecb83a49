// The generic `http` provider against a fake gateway: the request its configuration describes
// (method, headers, URL, JSON or form body from the template), the id it reads back, and errors.
import { create } from '../../src/providers/sms/http';
import { ProviderError, type SmsProvider } from '../../src/providers/types';
import { startFakeGateway, type FakeGateway } from '../support/fake-sms-apis';

const TO = '+254700000001';
const HOUR = 3600_000;

async function sendError(p: SmsProvider): Promise<ProviderError> {
  const err = await p.send({ messageId: 'm-err', part: 0, to: TO, text: 'x', validUntil: new Date(Date.now() + HOUR) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('http provider', () => {
  let gw: FakeGateway;
  const make = (options: Record<string, unknown> = {}): SmsProvider =>
    create({ id: 'gw-test', type: 'http', channel: 'sms', options: { url: `${gw.url}/send`, timeoutMs: 2000, ...options } }, { dataDir: '/nonexistent' });

  beforeEach(async () => {
    gw = await startFakeGateway();
  });
  afterEach(() => gw.close());

  it('renders a JSON body template with escaped values, sends the headers, and reads the id at idPath', async () => {
    gw.respondWith(202, { data: { messages: [{ id: 'GW-77' }] } });
    const p = make({
      headers: { Authorization: 'Bearer s3cret', 'X-Account': 'acme' },
      body: '{"msisdn":"{{to}}","sms":{"body":"{{text}}"},"ref":"{{messageId}}/{{part}}","expires":"{{validUntil}}"}',
      idPath: 'data.messages.0.id',
    });
    const validUntil = new Date(Date.now() + HOUR);
    const text = 'Say "hi"\nto Zoë \\ 👋';
    const result = await p.send({ messageId: 'm1', part: 2, to: TO, text, validUntil });
    const got = gw.received[0];
    expect(got).toMatchObject({ method: 'POST', path: '/send', headers: expect.objectContaining({ authorization: 'Bearer s3cret', 'x-account': 'acme', 'content-type': 'application/json' }) });
    expect(got.json).toEqual({ msisdn: TO, sms: { body: text }, ref: 'm1/2', expires: validUntil.toISOString() });
    expect(result).toEqual({ providerMessageId: 'GW-77', status: 'sent', providerStatus: '202' });
  });

  it('sends the default form body URL-encoded and falls back to its own reference without idPath', async () => {
    const result = await make({ contentType: 'form', method: 'PUT' }).send({ messageId: 'm2', part: 0, to: TO, text: 'a&b=c ü', validUntil: new Date(Date.now() + HOUR) });
    expect(gw.received[0]).toMatchObject({ method: 'PUT', form: { to: TO, text: 'a&b=c ü', messageId: 'm2' } });
    expect(gw.received[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(result.providerMessageId).toBe('gw-test:m2:0');
  });

  it('puts placeholders in the URL for GET and sends no body', async () => {
    await make({ method: 'GET', url: `${gw.url}/api?dest={{to}}&msg={{text}}&ttl={{validForS}}` }).send({
      messageId: 'm3', part: 0, to: TO, text: 'hi there&more', validUntil: new Date(Date.now() + 600_000),
    });
    const got = gw.received[0];
    expect(got.method).toBe('GET');
    expect(got.query).toMatchObject({ dest: TO, msg: 'hi there&more' });
    expect(Number(got.query.ttl)).toBeGreaterThan(590);
    expect(got.rawBody).toHaveLength(0);
  });

  it('honours successStatus: another 2xx is a refusal', async () => {
    gw.respondWith(200, { queued: false });
    expect(await sendError(make({ successStatus: [201] }))).toMatchObject({ code: 'REJECTED', retryable: false, details: { httpStatus: 200 } });
  });

  it.each([
    [429, 'RATE_LIMITED', true],
    [503, 'SERVER_ERROR', true],
    [401, 'AUTH', false],
    [400, 'REJECTED', false],
  ])('maps HTTP %s to %s', async (status, code, retryable) => {
    gw.respondWith(status, { error: 'nope' });
    expect(await sendError(make())).toMatchObject({ code, retryable, details: { httpStatus: status } });
  });

  it('maps no answer to TIMEOUT and a refused connection to NETWORK that was not accepted', async () => {
    gw.failNext(1, 'timeout');
    expect(await sendError(make({ timeoutMs: 300 }))).toMatchObject({ code: 'TIMEOUT', retryable: true, details: { mayHaveBeenAccepted: true } });
    const url = gw.url;
    await gw.close();
    const err = await sendError(create({ id: 'gw-test', type: 'http', channel: 'sms', options: { url } }, { dataDir: '/nonexistent' }));
    expect(err).toMatchObject({ code: 'NETWORK', retryable: true, details: { providerCode: 'ECONNREFUSED', mayHaveBeenAccepted: false } });
    gw = await startFakeGateway(); // for afterEach
  });

  it('refuses templates it cannot render, naming the instance', () => {
    expect(() => make({ body: '{"to": {{to}} }' })).toThrow(/provider 'gw-test' \(http\): option 'body' does not render to JSON/);
    expect(() => make({ body: '{"to":"{{phone}}"}' })).toThrow(/unknown placeholder\(s\) phone/);
    expect(() => make({ method: 'GET', body: 'x' })).toThrow(/cannot be sent with GET/);
    expect(() => make({ url: 'ftp://x' })).toThrow(/option 'url' must be an http\(s\) URL/);
    // Shaped like an http URL, but no URL at all: refused at start-up rather than at every message.
    expect(() => make({ url: 'http://127.0.0.1:99999/send?to={{to}}' })).toThrow(/provider 'gw-test' \(http\): option 'url' is not a valid URL/);
    expect(() => make({ url: 'http://[::1/send' })).toThrow(/option 'url' is not a valid URL/);
  });

  it('has no delivery reports', () => {
    expect(make().parseDeliveryReport).toBeUndefined();
  });
});
