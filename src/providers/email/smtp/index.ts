/**
 * `smtp` email provider: any SMTP relay through nodemailer.
 *
 * Options: url (smtp://user:pass@host:port, smtps:// for implicit TLS) or host, port?,
 * secure?, auth? {user, pass}; from ("Name <addr>"); timeoutMs? (connect, greeting and
 * socket timeouts, default 30000); pool? (reuse connections, default false).
 *
 * The Message-ID is `<messageId@herald>` and the header X-Herald-Message-Id carries Herald's
 * id, so a bounce or a reply can be traced back. SMTP has no delivery reports: `sent` is final.
 */
import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { EmailProvider, OutboundEmail, ProviderConfig, ProviderContext, SendResult } from '../../types';
import { heraldMail } from '../../mail-message';
import { parseOptions, timeoutMsOption } from '../../options';
import { toProviderError } from './errors';

const TYPE = 'smtp';

const optionsSchema = z
  .object({
    url: z.string().regex(/^smtps?:\/\/[^/]+/, 'must look like smtp://user:pass@host:port').optional(),
    host: z.string().min(1).optional(),
    port: z.coerce.number().int().positive().optional(),
    secure: z.boolean().optional(),
    auth: z.object({ user: z.string().min(1), pass: z.string() }).optional(),
    from: z.string().min(1, 'is required'),
    timeoutMs: timeoutMsOption(30000),
    pool: z.boolean().default(false),
  })
  .refine((o) => o.url !== undefined || o.host !== undefined, { message: "is required (or 'host')", path: ['url'] });
export type SmtpOptions = z.infer<typeof optionsSchema>;

export function create(cfg: ProviderConfig, _ctx: ProviderContext): EmailProvider {
  const opts = parseOptions(optionsSchema, cfg, TYPE);
  const timeouts = { connectionTimeout: opts.timeoutMs, greetingTimeout: opts.timeoutMs, socketTimeout: opts.timeoutMs };
  const endpoint = opts.url
    ? { url: opts.url }
    : { host: opts.host, port: opts.port, secure: opts.secure, ...(opts.auth ? { auth: opts.auth } : {}) };
  // Created once: with pool, connections are reused across sends; without, one per send.
  const transporter = opts.pool
    ? nodemailer.createTransport({ ...endpoint, ...timeouts, pool: true })
    : nodemailer.createTransport({ ...endpoint, ...timeouts });

  return {
    id: cfg.id,
    type: TYPE,
    channel: 'email',

    async send(msg: OutboundEmail): Promise<SendResult> {
      try {
        const info = await transporter.sendMail(heraldMail(opts.from, msg));
        return { providerMessageId: info.messageId, status: 'sent', providerStatus: info.response };
      } catch (e) {
        throw toProviderError(cfg.id, e);
      }
    },

    async close(): Promise<void> {
      transporter.close();
    },
  };
}
