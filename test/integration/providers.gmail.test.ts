// The gmail provider: the real googleapis SDK over real HTTP against the fake token endpoint
// and Gmail API, with an OAuth refresh token and with a service account (RSA key made here).
import { generateKeyPairSync } from 'node:crypto';
import { create } from '../../src/providers/email/gmail';
import { ProviderError, type EmailProvider, type OutboundEmail } from '../../src/providers/types';
import { startFakeGmail, type FakeGmail } from '../support/fake-gmail';

const HOUR = 3600_000;
const email = (over: Partial<OutboundEmail> = {}): OutboundEmail => ({
  messageId: 'e1',
  to: 'amina@example.org',
  subject: 'Session scheduled',
  text: 'Your session is on Monday at 9.',
  validUntil: new Date(Date.now() + HOUR),
  ...over,
});

async function sendError(p: EmailProvider, msg = email()): Promise<ProviderError> {
  const err = await p.send(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('gmail provider', () => {
  let fake: FakeGmail;
  const oauth = (options: Record<string, unknown> = {}): EmailProvider =>
    create(
      {
        id: 'gmail-test',
        type: 'gmail',
        channel: 'email',
        options: {
          from: 'Herald <herald@example.org>',
          clientId: fake.clientId,
          clientSecret: fake.clientSecret,
          refreshToken: fake.refreshToken,
          rootUrl: fake.rootUrl,
          tokenUrl: fake.tokenUrl,
          timeoutMs: 2000,
          ...options,
        },
      },
      { dataDir: '/nonexistent' },
    );

  beforeEach(async () => {
    fake = await startFakeGmail();
  });
  afterEach(() => fake.close());

  it('gets a token with the refresh token and sends the RFC 822 message as raw', async () => {
    const p = oauth();
    const result = await p.send(email({ html: '<p>Your session is on <b>Monday</b>.</p>' }));
    expect(fake.tokens).toEqual([{ grantType: 'refresh_token', clientId: fake.clientId }]);
    expect(fake.received).toHaveLength(1);
    const got = fake.received[0];
    expect(got).toMatchObject({ userId: 'me', from: '"Herald" <herald@example.org>', to: 'amina@example.org', subject: 'Session scheduled', text: 'Your session is on Monday at 9.' });
    expect(got.html).toContain('<b>Monday</b>');
    expect(got.headers).toMatchObject({ 'message-id': '<e1@herald>', 'x-herald-message-id': 'e1' });
    expect(result).toEqual({ providerMessageId: got.id, status: 'sent', providerStatus: 'SENT' });
    await p.send(email({ messageId: 'e2' }));
    expect(fake.tokens).toHaveLength(1); // the access token is reused
  });

  it('refreshes the access token when Gmail says it is no longer valid', async () => {
    const p = oauth();
    await p.send(email());
    fake.revokeTokens();
    await p.send(email({ messageId: 'e2' }));
    expect(fake.received.map((m) => m.headers['x-herald-message-id'])).toEqual(['e1', 'e2']);
    expect(fake.tokens).toHaveLength(2);
  });

  it('sends as a service account impersonating a Workspace user', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientEmail = 'herald@herald-project.iam.gserviceaccount.com';
    fake.addServiceAccount(clientEmail, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const p = create(
      {
        id: 'gmail-sa',
        type: 'gmail',
        channel: 'email',
        options: {
          from: 'ops@example.org',
          clientEmail,
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          subject: 'ops@example.org',
          rootUrl: fake.rootUrl,
          tokenUrl: fake.tokenUrl,
        },
      },
      { dataDir: '/nonexistent' },
    );
    await p.send(email());
    expect(fake.tokens).toEqual([
      { grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer', claims: expect.objectContaining({ iss: clientEmail, sub: 'ops@example.org', scope: 'https://www.googleapis.com/auth/gmail.send' }) },
    ]);
    expect(fake.received[0]).toMatchObject({ from: 'ops@example.org', to: 'amina@example.org' });
  });

  it('maps a revoked refresh token to AUTH, not retryable, without sending', async () => {
    const err = await sendError(oauth({ refreshToken: '1//revoked' }));
    expect(err).toMatchObject({ code: 'AUTH', retryable: false, details: { httpStatus: 400, providerCode: 'invalid_grant' } });
    expect(fake.received).toHaveLength(0);
  });

  it('maps 400 Invalid To header to INVALID_RECIPIENT', async () => {
    const err = await sendError(oauth(), email({ to: '' }));
    expect(err).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false, details: { httpStatus: 400 } });
  });

  it.each([
    [500, 'SERVER_ERROR'],
    [503, 'SERVER_ERROR'],
    [429, 'RATE_LIMITED'],
  ])('maps HTTP %s to retryable %s without retrying inside the SDK', async (status, code) => {
    const p = oauth();
    fake.failNext(1, status);
    expect(await sendError(p)).toMatchObject({ code, retryable: true, details: { httpStatus: status } });
    expect(fake.requests.filter((r) => r.path.endsWith('/send'))).toHaveLength(1);
    await p.send(email({ messageId: 'e2' }));
    expect(fake.received).toHaveLength(1);
  });

  it('maps a 403 userRateLimitExceeded to RATE_LIMITED', async () => {
    fake.failNext(1, { vendor: 'userRateLimitExceeded' });
    expect(await sendError(oauth())).toMatchObject({ code: 'RATE_LIMITED', retryable: true, details: { httpStatus: 403, providerCode: 'userRateLimitExceeded' } });
  });

  it('maps no answer to TIMEOUT that may have been accepted', async () => {
    fake.failNext(1, 'timeout');
    expect(await sendError(oauth({ timeoutMs: 500 }))).toMatchObject({ code: 'TIMEOUT', retryable: true, details: { mayHaveBeenAccepted: true } });
    expect(fake.received).toHaveLength(1);
  });

  it('maps a refused connection to NETWORK that was not accepted', async () => {
    const closed = await startFakeGmail();
    await closed.close();
    const p = oauth({ rootUrl: closed.rootUrl });
    expect(await sendError(p)).toMatchObject({ code: 'NETWORK', retryable: true, details: { providerCode: 'ECONNREFUSED', mayHaveBeenAccepted: false } });
  });

  it('refuses options that pick no way, or two ways, to authenticate', () => {
    expect(() => oauth({ refreshToken: undefined })).toThrow("provider 'gmail-test' (gmail): option 'refreshToken' is required");
    expect(() => oauth({ clientEmail: 'sa@x.iam.gserviceaccount.com' })).toThrow(/either clientId, clientSecret and refreshToken, or clientEmail and privateKey/);
  });
});
