/**
 * `infobip` SMS provider: Infobip's fully featured SMS API, POST {baseUrl}/sms/2/text/advanced,
 * JSON, `Authorization: App <apiKey>`.
 *
 * Options: apiKey, baseUrl (your account's https://xxxxx.api.infobip.com), from? (sender ID),
 * notifyUrl? (DLR URL; default `${publicUrl}/v1/webhooks/infobip/<id>` when Herald has a public
 * URL), webhookToken? (see below), timeoutMs? (default 15000).
 *
 * Each part is one message with destinations [{to (without '+'), messageId}], where messageId
 * is Herald's id (with `-<part>` for parts after the first, so Infobip refuses a duplicate),
 * validityPeriod = whole minutes left until validUntil (1..2880), callbackData = Herald's id.
 * Infobip does not sign delivery reports: with webhookToken set, the default notifyUrl carries
 * `?token=<it>` and a report without it, or with another, is refused with BAD_SIGNATURE.
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
import { checkWebhookToken, defaultCallbackUrl, httpCall, httpStatusError, msLeft } from '../../http-call';
import { httpUrlOption } from '../../url-option';

const TYPE = 'infobip';
const MAX_VALIDITY_MIN = 2880;

const optionsSchema = z.object({
  apiKey: z.string().min(1, 'is required'),
  baseUrl: httpUrlOption(),
  from: z.string().min(1).optional(),
  notifyUrl: httpUrlOption().optional(),
  webhookToken: webhookTokenOption,
  timeoutMs: timeoutMsOption(15000),
});
export type InfobipOptions = z.infer<typeof optionsSchema>;

interface InfobipStatus {
  groupId?: number;
  groupName?: string;
  id?: number;
  name?: string;
  description?: string;
}

/** Send-time REJECTED statuses that are about the number itself. */
const BAD_NUMBER = new Set(['REJECTED_DESTINATION', 'REJECTED_PREFIX_MISSING', 'MISSING_TO', 'REJECTED_DESTINATION_BLOCKLISTED', 'REJECTED_DND']);

/** A message status in a send answer: undefined when accepted, else the error code. */
function refusal(s: InfobipStatus | undefined): ProviderErrorCode | undefined {
  const group = s?.groupName;
  if (group === 'PENDING' || group === 'OK' || group === 'DELIVERED') return undefined;
  if (s?.name && BAD_NUMBER.has(s.name)) return 'INVALID_RECIPIENT';
  if (s?.name === 'REJECTED_SYSTEM_ERROR') return 'SERVER_ERROR'; // "retry the submission"
  return 'REJECTED';
}

/** Every status group Infobip documents (0 OK .. 5 REJECTED) -> Herald status. */
const GROUP_STATUS: StatusTable = {
  OK: 'sent',
  PENDING: 'sent',
  UNDELIVERABLE: 'undelivered',
  DELIVERED: 'delivered',
  EXPIRED: 'expired',
  REJECTED: 'rejected',
};

/** Delivery report status -> Herald status; DELIVERED_TO_OPERATOR is not yet the handset. */
function heraldStatus(s: InfobipStatus & { groupName: string }): DeliveryReport['status'] {
  if (s.groupName === 'DELIVERED' && s.name === 'DELIVERED_TO_OPERATOR') return 'sent';
  return mapStatus(GROUP_STATUS, s.groupName);
}

/** The text of Infobip's `{requestError: {serviceException: {messageId, text}}}`. */
function serviceException(json: unknown): { messageId?: string; text?: string } {
  const e = (json as { requestError?: { serviceException?: { messageId?: string; text?: string } } } | undefined)?.requestError;
  return e?.serviceException ?? {};
}

export function create(cfg: ProviderConfig, ctx: ProviderContext): SmsProvider {
  const opts = parseOptions(optionsSchema, cfg, TYPE);
  const endpoint = `${opts.baseUrl.replace(/\/+$/, '')}/sms/2/text/advanced`;
  const notifyUrl = opts.notifyUrl ?? defaultCallbackUrl(ctx.publicUrl, TYPE, cfg.id, opts.webhookToken);

  return {
    id: cfg.id,
    type: TYPE,
    channel: 'sms',

    async send(msg: OutboundSms): Promise<SendResult> {
      const validityPeriod = Math.min(MAX_VALIDITY_MIN, Math.max(1, Math.floor(msLeft(msg.validUntil) / 60_000)));
      const messageId = msg.part === 0 ? msg.messageId : `${msg.messageId}-${msg.part}`;
      const message = {
        destinations: [{ to: msg.to.replace(/^\+/, ''), messageId }],
        ...(opts.from ? { from: opts.from } : {}),
        text: msg.text,
        validityPeriod,
        ...(notifyUrl ? { notifyUrl, notifyContentType: 'application/json' } : {}),
        callbackData: msg.messageId,
      };
      const reply = await httpCall(cfg.id, {
        method: 'POST',
        url: endpoint,
        headers: { Authorization: `App ${opts.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ messages: [message] }),
        timeoutMs: opts.timeoutMs,
      });
      if (reply.status < 200 || reply.status > 299) throw httpStatusError(cfg.id, 'Infobip', reply, serviceException(reply.json).messageId);
      const sent = (reply.json as { messages?: Array<{ messageId?: string; status?: InfobipStatus }> } | undefined)?.messages?.[0];
      if (!sent) {
        throw new ProviderError('UNKNOWN', `${cfg.id}: Infobip answered without messages: ${reply.text.slice(0, 200)}`, { mayHaveBeenAccepted: true });
      }
      const code = refusal(sent.status);
      if (code) {
        throw new ProviderError(code, `${cfg.id}: Infobip ${sent.status?.name ?? 'refused'}: ${sent.status?.description ?? ''}`.trim(), {
          providerCode: sent.status?.name ?? sent.status?.groupName,
          httpStatus: reply.status,
        });
      }
      return { providerMessageId: sent.messageId ?? messageId, status: 'sent', providerStatus: sent.status?.name ?? 'PENDING' };
    },

    parseDeliveryReport(req: WebhookRequest): DeliveryReport[] {
      checkWebhookToken(cfg.id, req, opts.webhookToken);
      let results = (req.body as { results?: unknown } | undefined)?.results;
      if (!Array.isArray(results)) results = (safeJson(req.rawBody) as { results?: unknown } | undefined)?.results;
      if (!Array.isArray(results)) throw new ProviderError('REJECTED', `${cfg.id}: delivery report without results`);
      return results.map((r: { messageId?: string; status?: InfobipStatus; error?: InfobipStatus; doneAt?: string }) => {
        if (!r.messageId || !r.status?.groupName) throw new ProviderError('REJECTED', `${cfg.id}: delivery report result without messageId or status`);
        const at = r.doneAt ? new Date(r.doneAt) : undefined;
        const failed = r.error && r.error.id !== 0 && r.error.groupName !== 'OK';
        return {
          providerMessageId: r.messageId,
          status: heraldStatus(r.status as InfobipStatus & { groupName: string }),
          providerStatus: r.status.name ?? r.status.groupName,
          ...(failed && r.error?.name ? { errorCode: r.error.name } : {}),
          ...(at && !Number.isNaN(at.getTime()) ? { at } : {}),
        };
      });
    },
  };
}

function safeJson(raw: Buffer | undefined): unknown {
  try {
    return raw && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
  } catch {
    return undefined;
  }
}
