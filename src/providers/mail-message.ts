// The mail every email provider builds, in nodemailer's terms (sendMail and MailComposer take it).
import type { OutboundEmail } from './types';

export interface MailFields {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId: string;
  headers: Record<string, string>;
}

/** Message-ID `<messageId@herald>` and X-Herald-Message-Id let a bounce or a reply be traced back to Herald's message. */
export function heraldMail(from: string, msg: OutboundEmail): MailFields {
  return {
    from,
    to: msg.to,
    subject: msg.subject,
    text: msg.text,
    ...(msg.html !== undefined ? { html: msg.html } : {}),
    messageId: `<${msg.messageId}@herald>`,
    headers: { 'X-Herald-Message-Id': msg.messageId },
  };
}
