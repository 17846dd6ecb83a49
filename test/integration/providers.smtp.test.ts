// The smtp provider: real nodemailer over real SMTP against the in-process sink.
import net from 'node:net';
import { create } from '../../src/providers/email/smtp';
import { ProviderError, type EmailProvider, type OutboundEmail } from '../../src/providers/types';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';

const FROM = 'Herald <herald@example.test>';

function email(over: Partial<OutboundEmail> = {}): OutboundEmail {
  return {
    messageId: 'msg-1',
    to: 'ada@example.test',
    subject: 'Session scheduled',
    text: 'Your session is at 9:00.',
    html: '<p>Your session is at <b>9:00</b>.</p>',
    validUntil: new Date(Date.now() + 3600_000),
    ...over,
  };
}

async function sendError(p: EmailProvider, msg = email()): Promise<ProviderError> {
  const err = await p.send(msg).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('smtp provider', () => {
  let sink: SmtpSink;
  let provider: EmailProvider;
  const providers: EmailProvider[] = [];
  const make = (options: Record<string, unknown>): EmailProvider => {
    const p = create({ id: 'smtp-test', type: 'smtp', channel: 'email', options: { from: FROM, timeoutMs: 3000, ...options } }, { dataDir: '/x' });
    providers.push(p);
    return p;
  };

  beforeEach(async () => {
    sink = await startSmtpSink();
    provider = make({ url: sink.url });
  });
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((p) => p.close?.()));
    await sink.close();
  });

  it('delivers subject, text, html, Message-ID and X-Herald-Message-Id', async () => {
    const result = await provider.send(email({ messageId: 'msg-42' }));
    expect(sink.received).toHaveLength(1);
    const got = sink.received[0];
    expect(got).toMatchObject({
      from: 'herald@example.test',
      to: ['ada@example.test'],
      subject: 'Session scheduled',
      text: 'Your session is at 9:00.',
      html: '<p>Your session is at <b>9:00</b>.</p>',
      messageId: '<msg-42@herald>',
    });
    expect(got.headers['x-herald-message-id']).toBe('msg-42');
    expect(got.headers.from).toBe('Herald <herald@example.test>');
    expect(result).toMatchObject({ providerMessageId: '<msg-42@herald>', status: 'sent' });
    expect(result.providerStatus).toMatch(/^250/);
  });

  it('sends text only when there is no html', async () => {
    await provider.send(email({ html: undefined, text: 'plain' }));
    expect(sink.received[0].text).toBe('plain');
    expect(sink.received[0].html).toBeUndefined();
  });

  it('configures from host/port and a pool', async () => {
    const pooled = make({ host: sink.host, port: sink.port, secure: false, pool: true });
    await Promise.all([1, 2, 3].map((i) => pooled.send(email({ messageId: `p-${i}` }))));
    expect(sink.received.map((m) => m.headers['x-herald-message-id']).sort()).toEqual(['p-1', 'p-2', 'p-3']);
  });

  it('authenticates when the URL carries credentials, and maps a bad password to AUTH', async () => {
    const authSink = await startSmtpSink({ auth: { user: 'herald', pass: 's3cret' } });
    try {
      await make({ url: authSink.url }).send(email());
      expect(authSink.received).toHaveLength(1);
      const err = await sendError(make({ url: authSink.url.replace('s3cret', 'wrong') }));
      expect(err).toMatchObject({ code: 'AUTH', retryable: false, details: { providerCode: '535' } });
    } finally {
      await authSink.close();
    }
  });

  it.each([421, 450] as const)('maps a temporary %i to retryable SERVER_ERROR', async (code) => {
    sink.failNext(1, code);
    const err = await sendError(provider);
    expect(err).toMatchObject({ code: 'SERVER_ERROR', retryable: true, details: { providerCode: String(code) } });
    expect(sink.received).toHaveLength(0);
    await provider.send(email());
    expect(sink.received).toHaveLength(1);
  });

  it('maps 550 on the message to REJECTED and on the recipient to INVALID_RECIPIENT', async () => {
    sink.failNext(1, 550);
    expect(await sendError(provider)).toMatchObject({ code: 'REJECTED', retryable: false, details: { providerCode: '550' } });
    sink.failNext(1, 550, { stage: 'rcpt' });
    expect(await sendError(provider)).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false, details: { providerCode: '550' } });
    expect(sink.received).toHaveLength(0);
  });

  it('maps a refused connection to retryable NETWORK', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const err = await sendError(make({ url: `smtp://127.0.0.1:${port}` }));
    expect(err).toMatchObject({ code: 'NETWORK', retryable: true, details: { providerCode: 'ECONNREFUSED', mayHaveBeenAccepted: false } });
  });

  it('maps a server that stops answering after the data to TIMEOUT that may have been accepted', async () => {
    sink.setLatency(2000);
    const err = await sendError(make({ url: sink.url, timeoutMs: 400 }));
    expect(err).toMatchObject({ code: 'TIMEOUT', retryable: true, details: { mayHaveBeenAccepted: true } });
  });

  it('names the provider and the option when configuration is wrong', () => {
    expect(() => create({ id: 'mail-x', type: 'smtp', channel: 'email', options: { from: FROM } }, { dataDir: '/x' })).toThrow(
      /provider 'mail-x' \(smtp\): option 'url' is required/,
    );
    expect(() => create({ id: 'mail-y', type: 'smtp', channel: 'email', options: { url: sink.url } }, { dataDir: '/x' })).toThrow(
      /provider 'mail-y' \(smtp\): option 'from' is required/,
    );
  });
});
