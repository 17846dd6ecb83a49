// A local stand-in for Twilio's Messages API, spoken the way the real twilio SDK calls it, so
// tests run the real SDK over real HTTP. Point the `twilio` provider at it with
// options { accountSid: fake.accountSid, authToken: fake.authToken, from, apiUrl: fake.url }.
//
// Behaves like Twilio where Herald can observe it:
// - POST /2010-04-01/Accounts/:sid/Messages.json (form-encoded) with basic auth sid:token,
//   else 401 {code: 20003}. Missing To -> 400/21604, missing From and MessagingServiceSid ->
//   21603, missing Body -> 21602, To not E.164 -> 21211, Body over 1600 chars -> 21617,
//   ValidityPeriod outside 1..36000 -> 21623 (approximate), bad StatusCallback URL -> 21609.
//   Twilio's magic test numbers: To +15005550001 -> 21211, +15005550009 -> 21614.
// - 201 with Twilio's message resource: sid 'SM' + 32 hex, status 'queued' ('accepted' when
//   sent through a messaging service without From).
// - GET /2010-04-01/Accounts/:sid/Messages/:msid.json returns a message already accepted.
// Served by fake-http-server.ts. Fault injection (failNext) applies to the next n POSTs, before validation:
//   500 / 429 (with Retry-After): answered and NOT recorded in `received`;
//   'timeout': the message is accepted and recorded, the answer never comes (client times out);
//   'slow': accepted and recorded, answered after opts.delayMs (default 2000).
// failBy(rule) decides per POST from the message (To + Body) and how many POSTs of it came before:
// e.g. 429 to each message's first attempt, or 500 to everything while an outage lasts.
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { deliverWebhook, startFakeServer, webhook, type FakeAnswer } from './fake-http-server';

export interface FakeTwilioMessage {
  sid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  validityPeriod?: number;
  statusCallback?: string;
  at: Date;
}

/** Every request that reached the fake, whatever came of it. */
export interface FakeTwilioRequest {
  method: string;
  path: string;
  status: number | 'no-answer';
  at: Date;
}

export type FakeTwilioFault = 500 | 429 | 'timeout' | 'slow';

export interface FakeTwilioFaultOptions {
  /** 'slow': answer after this many ms (default 2000). */
  delayMs?: number;
  /** 429: the Retry-After header, in seconds (default 1). */
  retryAfterS?: number;
}

export interface StatusCallbackOptions {
  /** Where to POST; default the StatusCallback the message was sent with. */
  url?: string;
  /** Token to sign with; default the fake's own (pass another to forge a bad signature). */
  authToken?: string;
  /** Twilio ErrorCode, e.g. '30003' for an unreachable handset. */
  errorCode?: string;
  /** Send this X-Twilio-Signature instead of the computed one; null sends none. */
  signature?: string | null;
}

/** Per-request fault rule: `attempt` is 1 for the first POST of this To + Body, 2 for the next... */
export type FakeTwilioRule = (m: { to: string; body: string; attempt: number }) => 500 | 429 | undefined;

export interface FakeTwilio {
  /** Base URL, e.g. http://127.0.0.1:40123 (the provider's apiUrl). */
  url: string;
  accountSid: string;
  authToken: string;
  /** Messages Twilio accepted, in arrival order. */
  received: FakeTwilioMessage[];
  requests: FakeTwilioRequest[];
  failNext(n: number, mode: FakeTwilioFault, opts?: FakeTwilioFaultOptions): void;
  /** A rule for every POST from now on (undefined to stop); 429s carry Retry-After: opts.retryAfterS (default 1). */
  failBy(rule: FakeTwilioRule | undefined, opts?: FakeTwilioFaultOptions): void;
  /** Delay before every answer from now on (0 to stop). */
  setLatency(ms: number): void;
  /** Resolves once `count` messages were accepted; rejects after timeoutMs (default 5000). */
  waitFor(count: number, timeoutMs?: number): Promise<FakeTwilioMessage[]>;
  /** POSTs a status callback signed like Twilio's; resolves with the receiver's answer. */
  sendStatusCallback(sid: string, status: string, opts?: StatusCallbackOptions): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

const API = '2010-04-01';
const E164 = /^\+[1-9]\d{1,14}$/;
const MAGIC_TO: Record<string, [number, string]> = {
  '+15005550001': [21211, "The 'To' number +15005550001 is not a valid phone number."],
  '+15005550009': [21614, "'To' number is not a valid mobile number"],
};

function twilioError(status: number, code: number, message: string): object {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

function segments(body: string): number {
  const gsm = /^[\x20-\x7e\n\r]*$/.test(body);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  return body.length <= single ? 1 : Math.ceil(body.length / multi);
}

function validate(p: URLSearchParams): [number, string] | undefined {
  const to = p.get('To');
  if (!to) return [21604, "A 'To' phone number is required."];
  if (!p.get('From') && !p.get('MessagingServiceSid')) return [21603, "A 'From' phone number is required."];
  if (!p.get('Body') && !p.get('MediaUrl')) return [21602, 'Message body is required.'];
  if (MAGIC_TO[to]) return MAGIC_TO[to];
  if (!E164.test(to)) return [21211, `The 'To' number ${to} is not a valid phone number.`];
  if ((p.get('Body') ?? '').length > 1600) return [21617, 'The concatenated message body exceeds the 1600 character limit.'];
  const vp = p.get('ValidityPeriod');
  if (vp !== null && !(Number.isInteger(Number(vp)) && Number(vp) >= 1 && Number(vp) <= 36000)) {
    return [21623, `ValidityPeriod must be between 1 and 36000, got ${vp}`];
  }
  const cb = p.get('StatusCallback');
  if (cb !== null && !/^https?:\/\/\S+$/.test(cb)) return [21609, `Invalid StatusCallback: ${cb}`];
  return undefined;
}

function resource(accountSid: string, m: FakeTwilioMessage): object {
  const uri = `/${API}/Accounts/${accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: accountSid,
    api_version: API,
    body: m.body,
    date_created: rfc2822(m.at),
    date_sent: null,
    date_updated: rfc2822(m.at),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: m.from ?? null,
    messaging_service_sid: m.messagingServiceSid ?? null,
    num_media: '0',
    num_segments: String(segments(m.body)),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.from ? 'queued' : 'accepted',
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
    to: m.to,
    uri,
  };
}

export async function startFakeTwilio(opts: { accountSid?: string; authToken?: string } = {}): Promise<FakeTwilio> {
  const accountSid = opts.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = opts.authToken ?? randomBytes(16).toString('hex');
  const received: FakeTwilioMessage[] = [];
  const faults: Array<{ mode: FakeTwilioFault; opts: FakeTwilioFaultOptions }> = [];
  let latencyMs = 0;
  let rule: { fn: FakeTwilioRule; opts: FakeTwilioFaultOptions } | undefined;
  const attempts = new Map<string, number>();
  const ruled = (x: { rawBody: Buffer }): FakeTwilioFault | undefined => {
    if (!rule) return undefined;
    const p = new URLSearchParams(x.rawBody.toString('utf8'));
    const key = `${p.get('To')}|${p.get('Body')}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    return rule.fn({ to: p.get('To') ?? '', body: p.get('Body') ?? '', attempt });
  };

  const answer = (status: number, body: object, headers: Record<string, string> = {}, delayMs = latencyMs): FakeAnswer | Promise<FakeAnswer> => {
    const a = { status, body, headers };
    return delayMs > 0 ? new Promise((resolve) => setTimeout(() => resolve(a), delayMs)) : a;
  };

  // Twilio's faults come with their own options and JSON bodies: the queue is kept here, not in the server.
  const server = await startFakeServer(
    (x) => {
      const auth = Buffer.from(String(x.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      const list = new RegExp(`^/${API}/Accounts/([^/]+)/Messages\\.json$`).exec(x.path);
      const one = new RegExp(`^/${API}/Accounts/([^/]+)/Messages/([^/]+)\\.json$`).exec(x.path);
      const pathSid = (list ?? one)?.[1];
      if (!pathSid || (x.method !== 'POST' && list) || (x.method !== 'GET' && one)) {
        return answer(404, twilioError(404, 20404, `The requested resource ${x.path} was not found`));
      }
      const byRule = x.method === 'POST' ? ruled(x) : undefined;
      const fault = byRule ? { mode: byRule, opts: rule!.opts } : x.method === 'POST' ? faults.shift() : undefined;
      if (fault?.mode === 500) return answer(500, twilioError(500, 20500, 'Internal Server Error'));
      if (fault?.mode === 429) {
        return answer(429, twilioError(429, 20429, 'Too Many Requests'), { 'Retry-After': String(fault.opts.retryAfterS ?? 1) });
      }
      if (auth !== `${accountSid}:${authToken}` || pathSid !== accountSid) {
        return answer(401, twilioError(401, 20003, 'Authenticate'), { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
      }
      if (one) {
        const m = received.find((r) => r.sid === one[2]);
        return m ? answer(200, resource(accountSid, m)) : answer(404, twilioError(404, 20404, `The requested resource ${x.path} was not found`));
      }

      const p = new URLSearchParams(x.rawBody.toString('utf8'));
      const invalid = validate(p);
      if (invalid) return answer(400, twilioError(400, invalid[0], invalid[1]));
      const vp = p.get('ValidityPeriod');
      const m: FakeTwilioMessage = {
        sid: `SM${randomBytes(16).toString('hex')}`,
        to: p.get('To')!,
        ...(p.get('From') ? { from: p.get('From')! } : {}),
        ...(p.get('MessagingServiceSid') ? { messagingServiceSid: p.get('MessagingServiceSid')! } : {}),
        body: p.get('Body') ?? '',
        ...(vp !== null ? { validityPeriod: Number(vp) } : {}),
        ...(p.get('StatusCallback') ? { statusCallback: p.get('StatusCallback')! } : {}),
        at: new Date(),
      };
      received.push(m);
      if (fault?.mode === 'timeout') return 'hang'; // accepted, but the answer is lost: the client can only time out
      return answer(201, resource(accountSid, m), {}, latencyMs + (fault?.mode === 'slow' ? (fault.opts.delayMs ?? 2000) : 0));
    },
    () => false,
  );

  return {
    url: server.url,
    accountSid,
    authToken,
    received,
    requests: server.requests,
    failNext(n, mode, faultOpts = {}) {
      for (let i = 0; i < n; i++) faults.push({ mode, opts: faultOpts });
    },
    failBy(fn, ruleOpts = {}) {
      rule = fn ? { fn, opts: ruleOpts } : undefined;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`fake Twilio: ${received.length} of ${count} messages after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received.slice();
    },
    async sendStatusCallback(sid, status, cbOpts = {}) {
      const m = received.find((r) => r.sid === sid);
      const url = cbOpts.url ?? m?.statusCallback;
      if (!url) throw new Error(`fake Twilio: no callback URL for ${sid}`);
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: API,
        From: m?.from ?? '',
        MessageSid: sid,
        MessageStatus: status,
        SmsSid: sid,
        SmsStatus: status,
        To: m?.to ?? '',
        ...(cbOpts.errorCode ? { ErrorCode: cbOpts.errorCode } : {}),
      };
      const signature =
        cbOpts.signature === undefined ? twilio.getExpectedTwilioSignature(cbOpts.authToken ?? authToken, url, params) : cbOpts.signature;
      const hook = webhook('POST', url, params);
      const headers = { ...hook.headers, 'user-agent': 'TwilioProxy/1.1', ...(signature !== null ? { 'x-twilio-signature': signature } : {}) };
      return deliverWebhook({ ...hook, headers });
    },
    close: server.close,
  };
}
