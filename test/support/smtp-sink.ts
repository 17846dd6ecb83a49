// An in-process SMTP server (smtp-server) on 127.0.0.1 that keeps every message it accepts,
// parsed with mailparser, so tests run real nodemailer over real SMTP. Plain text SMTP (no
// STARTTLS); AUTH only when opts.auth is given, and then it is required (535 on a bad password).
// Point the `smtp` provider at it with options { url: sink.url, from: 'Herald <h@test>' }.
//
// failNext(n, code) makes the next n messages fail with that SMTP reply: by default at the end
// of DATA (the whole message was sent, then refused); { stage: 'rcpt' } refuses the recipient
// instead (550 there reads "Recipient address rejected: User unknown"), { stage: 'mail' } the
// sender. Refused messages are not in `received`.
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface SinkMessage {
  /** Envelope sender (MAIL FROM). */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  /** Header names lower-cased; the first value when a header repeats. */
  headers: Record<string, string>;
  raw: string;
  at: Date;
}

export type SinkFailCode = 421 | 450 | 451 | 452 | 550 | 552 | 554;
export type SinkStage = 'mail' | 'rcpt' | 'data';

export interface SmtpSink {
  /** smtp://[user:pass@]127.0.0.1:port */
  url: string;
  host: string;
  port: number;
  received: SinkMessage[];
  failNext(n: number, code: SinkFailCode, opts?: { stage?: SinkStage; message?: string }): void;
  /** Delay before the reply to DATA from now on (0 to stop), to provoke client timeouts. */
  setLatency(ms: number): void;
  /** Resolves once `count` messages were accepted; rejects after timeoutMs (default 5000). */
  waitFor(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  close(): Promise<void>;
}

const DEFAULT_TEXT: Record<SinkStage, Record<number, string>> = {
  mail: { 421: 'Service not available', 450: 'Sender temporarily rejected', 550: 'Sender rejected' },
  rcpt: { 421: 'Service not available', 450: 'Mailbox unavailable, try again later', 550: '5.1.1 Recipient address rejected: User unknown' },
  data: { 421: 'Service not available, closing channel', 450: 'Message temporarily deferred', 550: '5.7.1 Message rejected as spam' },
};

function smtpError(code: number, stage: SinkStage, message?: string): Error {
  const err = new Error(message ?? DEFAULT_TEXT[stage][code] ?? `Failed with ${code}`) as Error & { responseCode: number };
  err.responseCode = code;
  return err;
}

function unfoldedHeaders(lines: ReadonlyArray<{ key: string; line: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, line } of lines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    if (!(key in out)) out[key] = value;
  }
  return out;
}

export async function startSmtpSink(opts: { auth?: { user: string; pass: string } } = {}): Promise<SmtpSink> {
  const received: SinkMessage[] = [];
  const faults: Array<{ code: SinkFailCode; stage: SinkStage; message?: string }> = [];
  let latencyMs = 0;
  const timers = new Set<NodeJS.Timeout>();

  /** Takes the next fault if it is for this stage. */
  const faultAt = (stage: SinkStage): Error | undefined => {
    if (faults[0]?.stage !== stage) return undefined;
    const f = faults.shift()!;
    return smtpError(f.code, stage, f.message);
  };

  const server = new SMTPServer({
    secure: false,
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 500,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return callback(null, { user: auth.username });
      const err = new Error('5.7.8 Authentication credentials invalid') as Error & { responseCode: number };
      err.responseCode = 535;
      callback(err);
    },
    onMailFrom(_address, _session, callback) {
      callback(faultAt('mail'));
    },
    onRcptTo(_address, _session, callback) {
      callback(faultAt('rcpt'));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const reply = (err?: Error): void => {
          if (latencyMs === 0) return callback(err);
          const t = setTimeout(() => {
            timers.delete(t);
            callback(err);
          }, latencyMs);
          timers.add(t);
        };
        const fault = faultAt('data');
        if (fault) return reply(fault);
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((mail) => {
            received.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: mail.subject ?? '',
              text: (mail.text ?? '').replace(/\n$/, ''),
              ...(typeof mail.html === 'string' ? { html: mail.html } : {}),
              ...(mail.messageId ? { messageId: mail.messageId } : {}),
              headers: unfoldedHeaders(mail.headerLines),
              raw,
              at: new Date(),
            });
            reply();
          })
          .catch((e: Error) => reply(smtpError(554, 'data', `Unparseable message: ${e.message}`)));
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined); // client hang-ups after a test are not failures
  const { port } = server.server.address() as AddressInfo;
  const cred = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : '';

  return {
    url: `smtp://${cred}127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    received,
    failNext(n, code, failOpts = {}) {
      for (let i = 0; i < n; i++) faults.push({ code, stage: failOpts.stage ?? 'data', message: failOpts.message });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`SMTP sink: ${received.length} of ${count} messages after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received.slice();
    },
    close() {
      for (const t of timers) clearTimeout(t);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
