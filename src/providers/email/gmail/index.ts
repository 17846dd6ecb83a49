/**
 * `gmail` email provider: the Gmail API through googleapis, users.messages.send with the
 * message as base64url RFC 822 (built by nodemailer's MailComposer).
 *
 * Options: from ("Name <addr>"; the mailbox must be the authorised user's or one of its
 * send-as aliases), and one way to authenticate:
 * - OAuth2 refresh token: clientId, clientSecret, refreshToken (scope gmail.send);
 * - service account with domain-wide delegation: clientEmail, privateKey (PEM), subject (the
 *   Workspace user to send as).
 * Also userId? (default 'me'), rootUrl? (API base, default https://gmail.googleapis.com/),
 * tokenUrl? (token endpoint instead of https://oauth2.googleapis.com/token; for tests and
 * proxies), timeoutMs? (default 30000, each HTTP request).
 *
 * The Message-ID is `<messageId@herald>` and X-Herald-Message-Id carries Herald's id. Gmail has
 * no delivery reports: `sent` is final.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { google } from 'googleapis';
import { z } from 'zod';
import type { EmailProvider, OutboundEmail, ProviderConfig, ProviderContext, SendResult } from '../../types';
import { heraldMail } from '../../mail-message';
import { parseOptions, timeoutMsOption } from '../../options';
import { toProviderError } from './errors';
import { serviceAccountJwt } from '../../google-auth';
import { httpUrlOption } from '../../url-option';

const TYPE = 'gmail';
const SCOPE = 'https://www.googleapis.com/auth/gmail.send';

const optionsSchema = z
  .object({
    from: z.string().min(1, 'is required'),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    clientEmail: z.string().email().optional(),
    privateKey: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).optional(),
    subject: z.string().email().optional(),
    userId: z.string().min(1).default('me'),
    rootUrl: httpUrlOption().optional(),
    tokenUrl: httpUrlOption().optional(),
    timeoutMs: timeoutMsOption(30000),
  })
  .superRefine((o, ctx) => {
    const oauth = o.refreshToken !== undefined || o.clientId !== undefined || o.clientSecret !== undefined;
    const sa = o.clientEmail !== undefined || o.privateKey !== undefined;
    if (oauth === sa) {
      ctx.addIssue({ code: 'custom', path: [], message: 'needs either clientId, clientSecret and refreshToken, or clientEmail and privateKey' });
      return;
    }
    const need = oauth ? (['clientId', 'clientSecret', 'refreshToken'] as const) : (['clientEmail', 'privateKey'] as const);
    for (const k of need) if (o[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'is required' });
  });
export type GmailOptions = z.infer<typeof optionsSchema>;

function authClient(opts: GmailOptions) {
  // Node's own fetch: gaxios would otherwise import node-fetch dynamically on first use.
  const transporterOptions = { timeout: opts.timeoutMs, fetchImplementation: fetch };
  if (opts.refreshToken) {
    const oauth = new google.auth.OAuth2({
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      transporterOptions,
      ...(opts.tokenUrl ? { endpoints: { oauth2TokenUrl: opts.tokenUrl } } : {}),
    });
    oauth.setCredentials({ refresh_token: opts.refreshToken });
    return oauth;
  }
  return serviceAccountJwt({
    clientEmail: opts.clientEmail!, privateKey: opts.privateKey!, subject: opts.subject, scopes: [SCOPE], tokenUrl: opts.tokenUrl, timeoutMs: opts.timeoutMs,
  });
}

/** The whole message, RFC 822, as Gmail's `raw`: base64url. */
async function rawMessage(from: string, msg: OutboundEmail): Promise<string> {
  const mail = new MailComposer(heraldMail(from, msg));
  const built = await mail.compile().build();
  return built.toString('base64url');
}

export function create(cfg: ProviderConfig, _ctx: ProviderContext): EmailProvider {
  const opts = parseOptions(optionsSchema, cfg, TYPE);
  const auth = authClient(opts);
  const gmail = google.gmail({ version: 'v1', auth, ...(opts.rootUrl ? { rootUrl: opts.rootUrl } : {}) });
  // No retries inside the SDK: the worker owns retries, backoff and failover.
  const sendRaw = (raw: string) =>
    gmail.users.messages.send({ userId: opts.userId, requestBody: { raw } }, { retry: false, timeout: opts.timeoutMs, fetchImplementation: fetch });

  return {
    id: cfg.id,
    type: TYPE,
    channel: 'email',

    async send(msg: OutboundEmail): Promise<SendResult> {
      try {
        const raw = await rawMessage(opts.from, msg);
        let res: Awaited<ReturnType<typeof sendRaw>>;
        try {
          res = await sendRaw(raw);
        } catch (e) {
          // A 401 means the cached access token was revoked or rotated early: drop it, fetch a new one, try once more.
          if ((e as { status?: number }).status !== 401) throw e;
          auth.setCredentials(opts.refreshToken ? { refresh_token: opts.refreshToken } : {});
          res = await sendRaw(raw);
        }
        const id = res.data.id;
        if (!id) throw new Error(`Gmail answered HTTP ${res.status} without a message id`);
        return { providerMessageId: id, status: 'sent', providerStatus: (res.data.labelIds ?? []).join(',') || undefined };
      } catch (e) {
        throw toProviderError(cfg.id, e);
      }
    },
  };
}
