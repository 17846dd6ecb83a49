// Local stand-ins for the HTTP SMS APIs Herald speaks: Vonage SMS API, Africa's Talking,
// Infobip and a generic gateway, on 127.0.0.1:0 (fake-http-server.ts), answering in each
// vendor's own format. Each records what it accepted in `received` (parsed fields) and every
// request in `requests`.
//
// failNext(n, fault) applies to the next n sends, before validation:
//   a number (500, 503, 429 with Retry-After: 1): answered, NOT recorded in `received`;
//   'reset': the connection is dropped without an answer, not recorded;
//   'timeout': accepted and recorded, the answer never comes (the client times out);
//   {vendor: code}: a refusal in the vendor's words (Vonage status '1', Africa's Talking
//   statusCode 405, Infobip status name 'REJECTED_NOT_ENOUGH_CREDITS'), not recorded.
// deliveryReport(...) builds the delivery report the vendor would send, as a WebhookRequest
// for parseDeliveryReport; deliverWebhook() sends such a request over HTTP for real.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { startFakeServer, webhook, type FakeAnswer, type FakeExchange, type FakeServer, type VendorWebhook } from './fake-http-server';

export { deliverWebhook, type VendorWebhook } from './fake-http-server';

// ---- Vonage SMS API: POST /sms/json, form-encoded, api_key + api_secret ----

export type VonageSigning = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';

/** Signs as Vonage documents it, written apart from the provider's code so each checks the other. */
export function signLikeVonage(params: Record<string, string>, secret: string, method: VonageSigning): string {
  let input = '';
  for (const key of Object.keys(params).sort()) if (key !== 'sig') input += `&${key}=${params[key].replace(/&/g, '_').replace(/=/g, '_')}`;
  return method === 'md5hash' ? createHash('md5').update(`${input}${secret}`).digest('hex') : createHmac(method, secret).update(input).digest('hex').toUpperCase();
}

export interface VonageSms {
  messageId: string;
  apiKey: string;
  from: string;
  to: string;
  text: string;
  type?: string;
  ttl?: number;
  clientRef?: string;
  callback?: string;
}
export interface VonageDlrOptions {
  url?: string;
  method?: 'GET' | 'POST';
  errCode?: string;
  /** Sign with this secret (Vonage signed webhooks); omit for an unsigned report. */
  secret?: string;
  algorithm?: VonageSigning;
  /** Seconds since the epoch to sign with; default now. */
  timestamp?: number;
  /** Send this sig instead of the computed one. */
  sig?: string;
}
export interface FakeVonage extends FakeServer {
  apiKey: string;
  apiSecret: string;
  received: VonageSms[];
  deliveryReport(messageId: string, status: string, opts?: VonageDlrOptions): VendorWebhook;
}

export async function startFakeVonage(opts: { apiKey?: string; apiSecret?: string } = {}): Promise<FakeVonage> {
  const apiKey = opts.apiKey ?? randomBytes(4).toString('hex');
  const apiSecret = opts.apiSecret ?? randomBytes(8).toString('hex');
  const received: VonageSms[] = [];
  const refuse = (status: string, text: string): FakeAnswer => ({ status: 200, body: { 'message-count': '1', messages: [{ status, 'error-text': text }] } });
  const server = await startFakeServer((x, fault) => {
    if (x.method !== 'POST' || x.path !== '/sms/json') return { status: 404, body: 'Not Found' };
    if (typeof fault === 'object') return refuse(fault.vendor, 'Refused by the fake');
    const f = x.form;
    if (f.api_key !== apiKey || f.api_secret !== apiSecret) return refuse('4', 'Bad Credentials');
    for (const k of ['from', 'to', 'text']) if (!f[k]) return refuse('2', `Missing ${k} param`);
    if (!/^\d{7,15}$/.test(f.to)) return refuse('3', 'Invalid to param');
    const ttl = f.ttl === undefined ? undefined : Number(f.ttl);
    if (ttl !== undefined && !(ttl >= 20000 && ttl <= 604800000)) return refuse('3', 'Invalid ttl param');
    const m: VonageSms = { messageId: randomBytes(8).toString('hex').toUpperCase(), apiKey, from: f.from, to: f.to, text: f.text, type: f.type, ttl, clientRef: f['client-ref'], callback: f.callback };
    received.push(m);
    const message = { to: m.to, 'message-id': m.messageId, status: '0', 'remaining-balance': '15.53590000', 'message-price': '0.03330000', network: '63902', ...(m.clientRef ? { 'client-ref': m.clientRef } : {}) };
    return { status: 200, body: { 'message-count': '1', messages: [message] } };
  });
  return {
    ...server,
    apiKey,
    apiSecret,
    received,
    deliveryReport(messageId, status, o = {}) {
      const m = received.find((r) => r.messageId === messageId);
      const url = o.url ?? m?.callback;
      if (!url) throw new Error(`fake Vonage: no callback URL for ${messageId}`);
      const params: Record<string, string> = {
        msisdn: m?.to ?? '254700000001',
        to: m?.from ?? 'Herald',
        'network-code': '63902',
        messageId,
        price: '0.03330000',
        status,
        scts: '2001011400',
        'err-code': o.errCode ?? (status === 'delivered' ? '0' : '1'),
        'api-key': apiKey,
        'message-timestamp': new Date().toISOString().slice(0, 19).replace('T', ' '),
        ...(m?.clientRef ? { 'client-ref': m.clientRef } : {}),
      };
      if (o.secret !== undefined || o.sig !== undefined) {
        params.timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
        params.nonce = randomUUID();
        params.sig = o.sig ?? signLikeVonage(params, o.secret ?? '', o.algorithm ?? 'md5hash');
      }
      return webhook(o.method ?? 'POST', url, params, o.method === 'GET' ? 'form' : 'json');
    },
  };
}

// ---- Africa's Talking: POST /version1/messaging, form-encoded, apiKey header ----

export interface AfricasTalkingSms {
  messageId: string;
  username: string;
  to: string;
  message: string;
  from?: string;
  accept?: string;
}
export interface FakeAfricasTalking extends FakeServer {
  username: string;
  apiKey: string;
  received: AfricasTalkingSms[];
  deliveryReport(url: string, id: string, status: string, opts?: { failureReason?: string }): VendorWebhook;
}

const AT_STATUS: Record<string, string> = {
  '401': 'RiskHold', '402': 'InvalidSenderId', '403': 'InvalidPhoneNumber', '404': 'UnsupportedNumberType', '405': 'InsufficientBalance',
  '406': 'UserInBlacklist', '407': 'CouldNotRoute', '409': 'DoNotDisturbRejection', '500': 'InternalServerError', '501': 'GatewayError', '502': 'RejectedByGateway',
};

export async function startFakeAfricasTalking(opts: { username?: string; apiKey?: string } = {}): Promise<FakeAfricasTalking> {
  const username = opts.username ?? 'sandbox';
  const apiKey = opts.apiKey ?? `atsk_${randomBytes(16).toString('hex')}`;
  const received: AfricasTalkingSms[] = [];
  const refused = (to: string, code: string): FakeAnswer => ({
    status: 201,
    body: { SMSMessageData: { Message: 'Sent to 0/1 Total Cost: 0', Recipients: [{ cost: '0', messageId: 'None', number: to, status: AT_STATUS[code] ?? 'Failed', statusCode: Number(code) }] } },
  });
  const server = await startFakeServer((x, fault) => {
    if (x.method !== 'POST' || x.path !== '/version1/messaging') return { status: 404, body: 'Not Found' };
    const f = x.form;
    if (x.headers.apikey !== apiKey || f.username !== username) return { status: 401, body: 'The supplied authentication is invalid' };
    for (const k of ['to', 'message']) if (!f[k]) return { status: 400, body: `Request is missing required form field '${k}'` };
    if (typeof fault === 'object') return refused(f.to, fault.vendor);
    if (!/^\+\d{9,15}$/.test(f.to)) return refused(f.to, '403');
    const m: AfricasTalkingSms = { messageId: `ATXid_${randomBytes(16).toString('hex')}`, username, to: f.to, message: f.message, from: f.from, accept: String(x.headers.accept ?? '') };
    received.push(m);
    const recipient = { statusCode: 101, number: m.to, status: 'Success', cost: 'KES 0.8000', messageId: m.messageId };
    return { status: 201, body: { SMSMessageData: { Message: 'Sent to 1/1 Total Cost: KES 0.8000', Recipients: [recipient] } } };
  });
  return {
    ...server,
    username,
    apiKey,
    received,
    deliveryReport(url, id, status, o = {}) {
      const m = received.find((r) => r.messageId === id);
      const params: Record<string, string> = { id, status, phoneNumber: m?.to ?? '+254700000001', networkCode: '63902', ...(o.failureReason ? { failureReason: o.failureReason } : {}) };
      return webhook('POST', url, params);
    },
  };
}

// ---- Infobip: POST /sms/2/text/advanced, JSON, Authorization: App <key> ----

export interface InfobipSms {
  messageId: string;
  to: string;
  from?: string;
  text: string;
  validityPeriod?: number;
  notifyUrl?: string;
  notifyContentType?: string;
  callbackData?: string;
  authorization: string;
}
type IbStatus = { groupId: number; groupName: string; id: number; name: string; description: string };
export interface FakeInfobip extends FakeServer {
  apiKey: string;
  received: InfobipSms[];
  deliveryReport(messageId: string, status: IbStatus, opts?: { url?: string; error?: Partial<IbStatus> & { permanent?: boolean } }): VendorWebhook;
}

export const INFOBIP_STATUS = {
  PENDING_ACCEPTED: { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' },
  DELIVERED_TO_HANDSET: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
  DELIVERED_TO_OPERATOR: { groupId: 3, groupName: 'DELIVERED', id: 2, name: 'DELIVERED_TO_OPERATOR', description: 'Message delivered to operator' },
  UNDELIVERABLE_NOT_DELIVERED: { groupId: 2, groupName: 'UNDELIVERABLE', id: 9, name: 'UNDELIVERABLE_NOT_DELIVERED', description: 'Message sent not delivered' },
  EXPIRED_EXPIRED: { groupId: 4, groupName: 'EXPIRED', id: 15, name: 'EXPIRED_EXPIRED', description: 'Message expired' },
  REJECTED_DESTINATION: { groupId: 5, groupName: 'REJECTED', id: 52, name: 'REJECTED_DESTINATION', description: 'Invalid destination address' },
  REJECTED_NOT_ENOUGH_CREDITS: { groupId: 5, groupName: 'REJECTED', id: 12, name: 'REJECTED_NOT_ENOUGH_CREDITS', description: 'Not enough credits' },
  REJECTED_SYSTEM_ERROR: { groupId: 5, groupName: 'REJECTED', id: 21, name: 'REJECTED_SYSTEM_ERROR', description: 'System error' },
} satisfies Record<string, IbStatus>;

export async function startFakeInfobip(opts: { apiKey?: string } = {}): Promise<FakeInfobip> {
  const apiKey = opts.apiKey ?? randomBytes(24).toString('hex');
  const received: InfobipSms[] = [];
  const requestError = (status: number, messageId: string, text: string): FakeAnswer => ({ status, body: { requestError: { serviceException: { messageId, text } } } });
  const server = await startFakeServer((x, fault) => {
    if (x.method !== 'POST' || x.path !== '/sms/2/text/advanced') return requestError(404, 'NOT_FOUND', 'Not found');
    if (x.headers.authorization !== `App ${apiKey}`) return requestError(401, 'UNAUTHORIZED', 'Invalid login details');
    const msgs = (x.json as { messages?: Array<Record<string, unknown>> } | undefined)?.messages;
    if (!Array.isArray(msgs) || msgs.length === 0) return requestError(400, 'BAD_REQUEST', 'Bad request');
    const answers = [];
    for (const msg of msgs) {
      if (typeof msg.text !== 'string') return requestError(400, 'BAD_REQUEST', 'Invalid text');
      for (const d of (msg.destinations ?? []) as Array<{ to: string; messageId?: string }>) {
        const messageId = d.messageId ?? randomBytes(10).toString('hex');
        const vendor = typeof fault === 'object' ? INFOBIP_STATUS[fault.vendor as keyof typeof INFOBIP_STATUS] : undefined;
        const status = vendor ?? (/^\d{7,15}$/.test(d.to) ? INFOBIP_STATUS.PENDING_ACCEPTED : INFOBIP_STATUS.REJECTED_DESTINATION);
        if (status.groupName === 'PENDING') {
          const vp = msg.validityPeriod === undefined ? undefined : Math.min(Number(msg.validityPeriod), 2880);
          received.push({ messageId, to: d.to, from: msg.from as string | undefined, text: msg.text, validityPeriod: vp, notifyUrl: msg.notifyUrl as string | undefined,
            notifyContentType: msg.notifyContentType as string | undefined, callbackData: msg.callbackData as string | undefined, authorization: String(x.headers.authorization) });
        }
        answers.push({ to: d.to, status, messageId });
      }
    }
    return { status: 200, body: { ...(answers.length > 1 ? { bulkId: randomUUID() } : {}), messages: answers } };
  });
  return {
    ...server,
    apiKey,
    received,
    deliveryReport(messageId, status, o = {}) {
      const m = received.find((r) => r.messageId === messageId);
      const url = o.url ?? m?.notifyUrl;
      if (!url) throw new Error(`fake Infobip: no notifyUrl for ${messageId}`);
      const error = { groupId: 0, groupName: 'OK', id: 0, name: 'NO_ERROR', description: 'No Error', permanent: false, ...o.error };
      const now = new Date().toISOString().replace('Z', '+0000');
      const result = { messageId, to: m?.to ?? '254700000001', sentAt: now, doneAt: now, smsCount: 1, mccMnc: '63902', callbackData: m?.callbackData,
        price: { pricePerMessage: 0.01, currency: 'EUR' }, status, error };
      const raw = JSON.stringify({ results: [result] });
      return { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: JSON.parse(raw), rawBody: Buffer.from(raw) };
    },
  };
}

// ---- A generic gateway: records whatever comes, answers what it is told ----

export interface FakeGateway extends FakeServer {
  received: FakeExchange[];
  /** The answer to every accepted request from now on (default 200 {"id": "gw-<n>"}). */
  respondWith(status: number, body: unknown): void;
}

export async function startFakeGateway(): Promise<FakeGateway> {
  const received: FakeExchange[] = [];
  let answer: FakeAnswer | undefined;
  const server = await startFakeServer((x) => {
    received.push(x);
    return answer ?? { status: 200, body: { id: `gw-${received.length}` } };
  });
  return { ...server, received, respondWith: (status, body) => void (answer = { status, body }) };
}
