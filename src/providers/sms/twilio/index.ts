/**
 * `twilio` SMS provider: Programmable Messaging through the official twilio SDK.
 *
 * Options: accountSid (AC...), authToken, from (E.164 number, short code, alphanumeric sender
 * ID, or a messaging service sid MG...), apiUrl? (base URL instead of https://api.twilio.com, e.g. a
 * fake in tests), statusCallback? (default `${publicUrl}/v1/webhooks/twilio/<id>` when Herald
 * has a public URL), timeoutMs? (default 15000).
 *
 * Each part is one messages.create() with ValidityPeriod = seconds left until validUntil
 * (Twilio accepts 1..36000). Delivery reports arrive at statusCallback, signed with
 * X-Twilio-Signature (HMAC of the full public URL and the form parameters).
 */
import twilio from 'twilio';
import { z } from 'zod';
import {
  ProviderError,
  type DeliveryReport,
  type OutboundSms,
  type ProviderConfig,
  type ProviderContext,
  type SendResult,
  type SmsProvider,
  type WebhookRequest,
} from '../../types';
import { parseOptions, timeoutMsOption } from '../../options';
import { mapStatus, type StatusTable } from '../../status-map';
import { toProviderError } from './errors';
import { HeraldTwilioHttpClient, callState, type CallState } from './http-client';
import { httpUrlOption } from '../../url-option';

const TYPE = 'twilio';
const MAX_VALIDITY_S = 36000;

const optionsSchema = z.object({
  accountSid: z.string().regex(/^AC[0-9a-zA-Z]{32}$/, 'must be an account sid, AC followed by 32 characters'),
  authToken: z.string().min(1, 'is required'),
  from: z
    .string()
    .regex(
      /^(\+[1-9]\d{1,14}|\d{3,8}|MG[0-9a-fA-F]{32}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$/,
      'must be an E.164 number, a short code, an alphanumeric sender ID or a messaging service sid (MG...)',
    ),
  apiUrl: httpUrlOption().optional(),
  statusCallback: httpUrlOption().optional(),
  timeoutMs: timeoutMsOption(15000),
});
export type TwilioOptions = z.infer<typeof optionsSchema>;

/**
 * Every MessageStatus Twilio documents -> Herald status. Anything short of a final answer stays
 * `sent` (Herald handed it over); `receiving`/`received` describe inbound messages and move nothing;
 * `partially_delivered` (some segments lost) is undelivered, as Herald counts a message of parts.
 */
const STATUS: StatusTable = {
  accepted: 'sent',
  scheduled: 'sent',
  queued: 'sent',
  sending: 'sent',
  sent: 'sent',
  receiving: 'sent',
  received: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  partially_delivered: 'undelivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'cancelled',
};

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The form parameters exactly as Twilio signed them: from the raw body when there is one. */
function formParams(req: WebhookRequest): Record<string, string> {
  if (req.rawBody && req.rawBody.length > 0) return Object.fromEntries(new URLSearchParams(req.rawBody.toString('utf8')));
  const body = req.body;
  if (!body || typeof body !== 'object') return {};
  return Object.fromEntries(Object.entries(body as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

export function create(cfg: ProviderConfig, ctx: ProviderContext): SmsProvider {
  const opts = parseOptions(optionsSchema, cfg, TYPE);
  const client = twilio(opts.accountSid, opts.authToken, {
    httpClient: new HeraldTwilioHttpClient(opts.apiUrl, opts.timeoutMs),
    autoRetry: false,
  });
  const statusCallback =
    opts.statusCallback ?? (ctx.publicUrl ? `${ctx.publicUrl.replace(/\/+$/, '')}/v1/webhooks/twilio/${encodeURIComponent(cfg.id)}` : undefined);
  const sender = opts.from.startsWith('MG') ? { messagingServiceSid: opts.from } : { from: opts.from };

  return {
    id: cfg.id,
    type: TYPE,
    channel: 'sms',

    async send(msg: OutboundSms): Promise<SendResult> {
      const secondsLeft = Math.floor((msg.validUntil.getTime() - Date.now()) / 1000);
      if (secondsLeft < 1) throw new ProviderError('REJECTED', 'validity elapsed');
      const state: CallState = {};
      try {
        const m = await callState.run(state, () =>
          client.messages.create({
            to: msg.to,
            ...sender,
            body: msg.text,
            validityPeriod: Math.min(secondsLeft, MAX_VALIDITY_S),
            ...(statusCallback ? { statusCallback } : {}),
          }),
        );
        return { providerMessageId: m.sid, status: 'sent', providerStatus: m.status };
      } catch (e) {
        throw toProviderError(cfg.id, e, state.retryAfterMs);
      }
    },

    parseDeliveryReport(req: WebhookRequest): DeliveryReport[] {
      const signature = header(req.headers, 'x-twilio-signature');
      const params = formParams(req);
      if (!signature) throw new ProviderError('BAD_SIGNATURE', `${cfg.id}: status callback without X-Twilio-Signature`);
      if (!twilio.validateRequest(opts.authToken, signature, req.url, params)) {
        throw new ProviderError('BAD_SIGNATURE', `${cfg.id}: X-Twilio-Signature does not match ${req.url}`);
      }
      const sid = params.MessageSid ?? params.SmsSid;
      const raw = params.MessageStatus ?? params.SmsStatus;
      if (!sid || !raw) throw new ProviderError('REJECTED', `${cfg.id}: status callback without MessageSid or MessageStatus`);
      return [
        {
          providerMessageId: sid,
          status: mapStatus(STATUS, raw),
          providerStatus: raw,
          ...(params.ErrorCode ? { errorCode: params.ErrorCode } : {}),
        },
      ];
    },
  };
}
