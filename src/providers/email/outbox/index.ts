/**
 * `outbox` email provider: "sends" by appending one JSON line per message to
 * <dataDir>/outbox/email.jsonl, fsynced before send() resolves. For laptops, demos and tests;
 * read it with `herald outbox email [--follow]`. Options: none.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { EmailProvider, OutboundEmail, ProviderConfig, ProviderContext, SendResult } from '../../types';
import { OutboxIndex } from '../../outbox-dedupe';
import { appendJsonLineSync, outboxFile, writeFailure, type EmailOutboxEntry } from '../../outbox-file';

export { readOutbox, followOutbox } from '../../outbox-file';
export type { EmailOutboxEntry, OutboxEntry } from '../../outbox-file';

// No options; an unknown one is most likely a misplaced setting, so it is an error.
const optionsSchema = z.object({}).strict();

export function create(cfg: ProviderConfig, ctx: ProviderContext): EmailProvider {
  const parsed = optionsSchema.safeParse(cfg.options ?? {});
  if (!parsed.success) throw new Error(`provider '${cfg.id}' (outbox): ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const file = outboxFile(ctx.dataDir, 'email');
  // Once per message, even when a send is retried after a crash between the write and the status.
  const written = new OutboxIndex(file, (e) => (typeof e.messageId === 'string' ? e.messageId : undefined));
  return {
    id: cfg.id,
    type: 'outbox',
    channel: 'email',
    async send(msg: OutboundEmail): Promise<SendResult> {
      const key = msg.messageId;
      const already = written.find(key);
      if (already) return { providerMessageId: already, status: 'sent' };
      const entry: EmailOutboxEntry = {
        time: new Date().toISOString(),
        id: `outbox-${randomUUID()}`,
        messageId: msg.messageId,
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        ...(msg.html !== undefined ? { html: msg.html } : {}),
        validUntil: msg.validUntil.toISOString(),
      };
      try {
        appendJsonLineSync(file, entry);
      } catch (e) {
        throw writeFailure(cfg.id, file, e);
      }
      written.remember(key, entry.id);
      return { providerMessageId: entry.id, status: 'sent' };
    },
  };
}
