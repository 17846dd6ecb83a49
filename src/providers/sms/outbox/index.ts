/**
 * `outbox` SMS provider: "sends" by appending one JSON line per message (part) to
 * <dataDir>/outbox/sms.jsonl, fsynced before send() resolves. For laptops, demos and tests;
 * read it with `herald outbox sms [--follow]`. Options: none.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { OutboundSms, ProviderConfig, ProviderContext, SendResult, SmsProvider } from '../../types';
import { OutboxIndex } from '../../outbox-dedupe';
import { appendJsonLineSync, outboxFile, writeFailure, type SmsOutboxEntry } from '../../outbox-file';

export { readOutbox, followOutbox } from '../../outbox-file';
export type { SmsOutboxEntry, OutboxEntry } from '../../outbox-file';

// No options; an unknown one is most likely a misplaced setting, so it is an error.
const optionsSchema = z.object({}).strict();

export function create(cfg: ProviderConfig, ctx: ProviderContext): SmsProvider {
  const parsed = optionsSchema.safeParse(cfg.options ?? {});
  if (!parsed.success) throw new Error(`provider '${cfg.id}' (outbox): ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const file = outboxFile(ctx.dataDir, 'sms');
  // Once per message part, even when a send is retried after a crash between the write and the status.
  const written = new OutboxIndex(file, (e) => (typeof e.messageId === 'string' ? `${e.messageId}#${String(e.part ?? 0)}` : undefined));
  return {
    id: cfg.id,
    type: 'outbox',
    channel: 'sms',
    async send(msg: OutboundSms): Promise<SendResult> {
      const key = `${msg.messageId}#${msg.part}`;
      const already = written.find(key);
      if (already) return { providerMessageId: already, status: 'sent' };
      const entry: SmsOutboxEntry = {
        time: new Date().toISOString(),
        id: `outbox-${randomUUID()}`,
        messageId: msg.messageId,
        part: msg.part,
        to: msg.to,
        text: msg.text,
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
