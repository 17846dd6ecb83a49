/**
 * `vonage` SMS provider: the Vonage (Nexmo) SMS API, POST {baseUrl}/sms/json, form-encoded.
 *
 * Options: apiKey, apiSecret, from (number or alphanumeric sender ID), baseUrl? (default
 * https://rest.nexmo.com), callback? (DLR URL; default `${publicUrl}/v1/webhooks/vonage/<id>`
 * when Herald has a public URL), signatureSecret? + signatureMethod? (md5hash | md5 | sha1 |
 * sha256 | sha512, default md5hash: the account's "signed webhooks" setting), signatureMaxAgeS?
 * (default 300), webhookToken? (checked as ?token= on reports), timeoutMs? (default 15000).
 *
 * Each part is one request with client-ref = Herald's message id, to without '+',
 * type=unicode when the text is not GSM 03.38, and ttl = ms left until validUntil within
 * Vonage's 20000..604800000. A text Vonage splits into several SMS answers with several
 * message-ids: the first is kept, and DLRs for the others are not matched.
 */
import { z } from 'zod';
import {
  ProviderError,
  type DeliveryReport,
  type OutboundSms,
  type ProviderConfig,
  type ProviderContext,
  type ProviderErrorCode,
  type SendResult,
  type SmsProvider,
  type WebhookRequest,
} from '../../types';
import { parseOptions, timeoutMsOption, webhookTokenOption } from '../../options';
import { mapStatus, type StatusTable } from '../../status-map';
import { checkWebhookToken, defaultCallbackUrl, httpCall, httpStatusError, msLeft, reportParams, sameSecret } from '../../http-call';
import { SIGNATURE_METHODS, isGsm, vonageSignature } from './signature';
import { httpUrlOption } from '../../url-option';

const TYPE = 'vonage';
const TTL_MIN_MS = 20_000;
const TTL_MAX_MS = 604_800_000;

const optionsSchema = z.object({
  apiKey: z.string().min(1, 'is required'),
  apiSecret: z.string().min(1, 'is required'),
  from: z.string().min(1, 'is required'),
  baseUrl: httpUrlOption().default('https://rest.nexmo.com'),
  callback: httpUrlOption(z.string().max(100, 'must be at most 100 characters (a Vonage limit)')).optional(),
  signatureSecret: z.string().min(1).optional(),
  signatureMethod: z.enum(SIGNATURE_METHODS).default('md5hash'),
  signatureMaxAgeS: z.number().int().positive().default(300),
  webhookToken: webhookTokenOption,
  timeoutMs: timeoutMsOption(15000),
});
export type VonageOptions = z.infer<typeof optionsSchema>;

/** Vonage SMS API `messages[].status` -> error code; '0' is success. */
const SEND_STATUS: Record<string, ProviderErrorCode> = {
  '1': 'RATE_LIMITED', // Throttled
  '2': 'REJECTED', // Missing Parameters
  '3': 'REJECTED', // Invalid Parameters
  '4': 'AUTH', // Invalid Credentials
  '5': 'SERVER_ERROR', // Internal Error
  '6': 'INVALID_RECIPIENT', // Invalid Message (unrecognised number prefix)
  '7': 'INVALID_RECIPIENT', // Number Barred
  '8': 'AUTH', // Partner Account Barred
  '9': 'REJECTED', // Partner Quota Violation (no credit)
  '10': 'RATE_LIMITED', // Too Many Existing Binds
  '11': 'AUTH', // Account Not Enabled For HTTP
  '12': 'REJECTED', // Message Too Long
  '14': 'AUTH', // Invalid Signature
  '15': 'REJECTED', // Invalid Sender Address
  '29': 'REJECTED', // Non-Whitelisted Destination (demo account)
  '32': 'AUTH', // Signature And API Secret Disallowed
  '33': 'INVALID_RECIPIENT', // Number De-activated
};

/** Every Vonage SMS API DLR `status` -> Herald status; anything not final stays `sent`. */
const DLR_STATUS: StatusTable = {
  accepted: 'sent',
  buffered: 'sent',
  unknown: 'sent',
  delivered: 'delivered',
  expired: 'expired',
  failed: 'undelivered',
  rejected: 'rejected',
};

interface VonageMessage {
  status?: string;
  'message-id'?: string;
  'error-text'?: string;
}

/** "2020-01-01 12:00:00" (UTC) as a Date. */
function parseTimestamp(v: string | undefined): Date | undefined {
  if (!v) return undefined;
  const d = new Date(`${v.replace(' ', 'T')}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function create(cfg: ProviderConfig, ctx: ProviderContext): SmsProvider {
  const opts = parseOptions(optionsSchema, cfg, TYPE);
  const endpoint = `${opts.baseUrl.replace(/\/+$/, '')}/sms/json`;
  const callback = opts.callback ?? defaultCallbackUrl(ctx.publicUrl, TYPE, cfg.id, opts.webhookToken);

  function verifySignature(params: Record<string, string>): void {
    const secret = opts.signatureSecret;
    if (!secret) return;
    const { sig, ...signed } = params;
    if (!sig) throw new ProviderError('BAD_SIGNATURE', `${cfg.id}: delivery report without sig`);
    // Our own ?token= is not part of what Vonage signed.
    if (opts.webhookToken !== undefined) delete signed.token;
    const expected = vonageSignature(signed, secret, opts.signatureMethod);
    if (!sameSecret(sig.toLowerCase(), expected.toLowerCase())) throw new ProviderError('BAD_SIGNATURE', `${cfg.id}: delivery report sig does not match`);
    const ts = Number(signed.timestamp);
    if (!Number.isFinite(ts) || Math.abs(Date.now() / 1000 - ts) > opts.signatureMaxAgeS) {
      throw new ProviderError('BAD_SIGNATURE', `${cfg.id}: signed delivery report timestamp missing or older than ${opts.signatureMaxAgeS} s`);
    }
  }

  return {
    id: cfg.id,
    type: TYPE,
    channel: 'sms',

    async send(msg: OutboundSms): Promise<SendResult> {
      const ttl = Math.min(TTL_MAX_MS, Math.max(TTL_MIN_MS, Math.floor(msLeft(msg.validUntil))));
      const form = new URLSearchParams({
        api_key: opts.apiKey,
        api_secret: opts.apiSecret,
        from: opts.from,
        to: msg.to.replace(/^\+/, ''),
        text: msg.text,
        ttl: String(ttl),
        'client-ref': msg.messageId,
      });
      if (!isGsm(msg.text)) form.set('type', 'unicode');
      if (callback) form.set('callback', callback);
      const reply = await httpCall(cfg.id, {
        method: 'POST',
        url: endpoint,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form.toString(),
        timeoutMs: opts.timeoutMs,
      });
      if (reply.status < 200 || reply.status > 299) throw httpStatusError(cfg.id, 'Vonage', reply);
      const messages = (reply.json as { messages?: VonageMessage[] } | undefined)?.messages;
      if (!Array.isArray(messages) || messages.length === 0) {
        throw new ProviderError('UNKNOWN', `${cfg.id}: Vonage answered without messages: ${reply.text.slice(0, 200)}`, {
          httpStatus: reply.status,
          mayHaveBeenAccepted: true,
        });
      }
      const refused = messages.find((m) => String(m.status) !== '0');
      if (refused) {
        const status = String(refused.status);
        throw new ProviderError(SEND_STATUS[status] ?? 'REJECTED', `${cfg.id}: Vonage status ${status}: ${refused['error-text'] ?? 'no error text'}`, {
          providerCode: status,
          httpStatus: reply.status,
          // Vonage split the text and took some of the parts.
          mayHaveBeenAccepted: messages.some((m) => String(m.status) === '0'),
        });
      }
      return { providerMessageId: String(messages[0]['message-id']), status: 'sent', providerStatus: '0' };
    },

    parseDeliveryReport(req: WebhookRequest): DeliveryReport[] {
      checkWebhookToken(cfg.id, req, opts.webhookToken);
      const params = reportParams(req);
      verifySignature(params);
      const id = params.messageId;
      const raw = params.status;
      if (!id || !raw) throw new ProviderError('REJECTED', `${cfg.id}: delivery report without messageId or status`);
      const errCode = params['err-code'];
      const at = parseTimestamp(params['message-timestamp']);
      return [
        {
          providerMessageId: id,
          status: mapStatus(DLR_STATUS, raw.toLowerCase()),
          providerStatus: raw,
          ...(errCode !== undefined && errCode !== '0' ? { errorCode: errCode } : {}),
          ...(at ? { at } : {}),
        },
      ];
    },
  };
}
