/**
 * `outbox` email provider: "sends" by appending one JSON line per message to
 * <dataDir>/outbox/email.jsonl, fsynced before send() resolves. For laptops, demos and tests;
 * read it with `herald outbox email [--follow]`. Options: none.
 */
import { z } from 'zod';
import type { EmailProvider, OutboundEmail, ProviderConfig, ProviderContext, SendResult } from '../../types';
import { parseOptions } from '../../options';
import { outboxSender } from '../../outbox-dedupe';
import { outboxFile, type EmailOutboxEntry } from '../../outbox-file';

export { readOutbox, followOutbox } from '../../outbox-file';
export type { EmailOutboxEntry, OutboxEntry } from '../../outbox-file';

// No options; an unknown one is most likely a misplaced setting, so it is an error.
const optionsSchema = z.object({}).strict();

export function create(cfg: ProviderConfig, ctx: ProviderContext): EmailProvider {
  parseOptions(optionsSchema, cfg, 'outbox');
  // Once per message, even when a send is retried after a crash between the write and the status.
  const write = outboxSender<EmailOutboxEntry>(cfg.id, outboxFile(ctx.dataDir, 'email'), (e) =>
    typeof e.messageId === 'string' ? e.messageId : undefined,
  );
  return {
    id: cfg.id,
    type: 'outbox',
    channel: 'email',
    async send(msg: OutboundEmail): Promise<SendResult> {
      const { messageId, to, subject, text, html } = msg;
      return write({ messageId, to, subject, text, ...(html !== undefined ? { html } : {}), validUntil: msg.validUntil.toISOString() });
    },
  };
}
