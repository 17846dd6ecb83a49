/**
 * `africastalking` SMS provider: Africa's Talking SMS API, POST {baseUrl}/version1/messaging,
 * form-encoded, with the `apiKey` header.
 *
 * Options: username, apiKey, from? (short code or alphanumeric sender ID; default the
 * account's), baseUrl? (default https://api.africastalking.com; the sandbox is
 * https://api.sandbox.africastalking.com), webhookToken? (see below), timeoutMs? (default 15000).
 *
 * Africa's Talking takes no validity period: a part whose validity has passed is refused here,
 * the carrier keeps it as long as it likes. Delivery reports are configured once in the
 * dashboard (SMS -> SMS Callback URLs -> Delivery Reports) and are NOT signed: set
 * webhookToken and give the dashboard `<publicUrl>/v1/webhooks/africastalking/<id>?token=<it>`;
 * a report without that token, or with another, is refused with BAD_SIGNATURE.
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
import { checkWebhookToken, httpCall, httpStatusError, msLeft, reportParams } from '../../http-call';
import { httpUrlOption } from '../../url-option';

const TYPE = 'africastalking';

const optionsSchema = z.object({
  username: z.string().min(1, 'is required'),
  apiKey: z.string().min(1, 'is required'),
  from: z.string().min(1).optional(),
  baseUrl: httpUrlOption().default('https://api.africastalking.com'),
  webhookToken: webhookTokenOption,
  timeoutMs: timeoutMsOption(15000),
});
export type AfricasTalkingOptions = z.infer<typeof optionsSchema>;

/** Recipient statusCode 100 Processed, 101 Sent, 102 Queued: accepted. */
const ACCEPTED = new Set([100, 101, 102]);

/** Recipient statusCode -> error code for the refusals. */
const SEND_STATUS: Record<number, ProviderErrorCode> = {
  401: 'REJECTED', // RiskHold
  402: 'REJECTED', // InvalidSenderId
  403: 'INVALID_RECIPIENT', // InvalidPhoneNumber
  404: 'INVALID_RECIPIENT', // UnsupportedNumberType
  405: 'REJECTED', // InsufficientBalance
  406: 'INVALID_RECIPIENT', // UserInBlacklist
  407: 'REJECTED', // CouldNotRoute
  409: 'REJECTED', // DoNotDisturbRejection
  500: 'SERVER_ERROR', // InternalServerError
  501: 'SERVER_ERROR', // GatewayError
  502: 'REJECTED', // RejectedByGateway
};

/** Every delivery report `status` Africa's Talking documents -> Herald status. */
const DLR_STATUS: StatusTable = {
  Sent: 'sent',
  Submitted: 'sent',
  Buffered: 'sent',
  Success: 'delivered',
  Failed: 'undelivered',
  AbsentSubscriber: 'undelivered',
  Rejected: 'rejected',
  Expired: 'expired',
};

interface Recipient {
  statusCode?: number | string;
  status?: string;
  number?: string;
  messageId?: string;
  cost?: string;
}

export function create(cfg: ProviderConfig, _ctx: ProviderContext): SmsProvider {
  const opts = parseOptions(optionsSchema, cfg, TYPE);
  const endpoint = `${opts.baseUrl.replace(/\/+$/, '')}/version1/messaging`;

  return {
    id: cfg.id,
    type: TYPE,
    channel: 'sms',

    async send(msg: OutboundSms): Promise<SendResult> {
      msLeft(msg.validUntil);
      const form = new URLSearchParams({ username: opts.username, to: msg.to, message: msg.text });
      if (opts.from) form.set('from', opts.from);
      const reply = await httpCall(cfg.id, {
        method: 'POST',
        url: endpoint,
        headers: { apiKey: opts.apiKey, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        timeoutMs: opts.timeoutMs,
      });
      if (reply.status < 200 || reply.status > 299) throw httpStatusError(cfg.id, "Africa's Talking", reply);
      const data = (reply.json as { SMSMessageData?: { Message?: string; Recipients?: Recipient[] } } | undefined)?.SMSMessageData;
      const recipient = data?.Recipients?.[0];
      if (!recipient) {
        // No recipient at all: the number did not even parse ("InvalidPhoneNumber") or the answer is not the API's.
        const message = data?.Message ?? reply.text.slice(0, 200);
        const code: ProviderErrorCode = /invalid\s*phone/i.test(message) ? 'INVALID_RECIPIENT' : data ? 'REJECTED' : 'UNKNOWN';
        throw new ProviderError(code, `${cfg.id}: Africa's Talking sent to no recipient: ${message}`, {
          httpStatus: reply.status,
          ...(code === 'UNKNOWN' ? { mayHaveBeenAccepted: true } : {}),
        });
      }
      const statusCode = Number(recipient.statusCode);
      if (!ACCEPTED.has(statusCode)) {
        throw new ProviderError(SEND_STATUS[statusCode] ?? 'REJECTED', `${cfg.id}: Africa's Talking refused ${msg.to}: ${statusCode} ${recipient.status ?? ''}`.trim(), {
          providerCode: String(statusCode),
          httpStatus: reply.status,
        });
      }
      if (!recipient.messageId) {
        throw new ProviderError('UNKNOWN', `${cfg.id}: Africa's Talking accepted ${msg.to} without a messageId`, { mayHaveBeenAccepted: true });
      }
      return { providerMessageId: recipient.messageId, status: 'sent', providerStatus: recipient.status ?? String(statusCode) };
    },

    parseDeliveryReport(req: WebhookRequest): DeliveryReport[] {
      checkWebhookToken(cfg.id, req, opts.webhookToken);
      const params = reportParams(req);
      const { id, status } = params;
      if (!id || !status) throw new ProviderError('REJECTED', `${cfg.id}: delivery report without id or status`);
      return [
        {
          providerMessageId: id,
          status: mapStatus(DLR_STATUS, status),
          providerStatus: status,
          ...(params.failureReason ? { errorCode: params.failureReason } : {}),
        },
      ];
    },
  };
}
