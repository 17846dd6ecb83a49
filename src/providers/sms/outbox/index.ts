/**
 * `outbox` SMS provider: "sends" by appending one JSON line per message (part) to
 * <dataDir>/outbox/sms.jsonl, fsynced before send() resolves. For laptops, demos and tests;
 * read it with `herald outbox sms [--follow]`. Options: none.
 */
import { z } from 'zod';
import type { OutboundSms, ProviderConfig, ProviderContext, SendResult, SmsProvider } from '../../types';
import { parseOptions } from '../../options';
import { outboxSender } from '../../outbox-dedupe';
import { outboxFile, type SmsOutboxEntry } from '../../outbox-file';

export { readOutbox, followOutbox } from '../../outbox-file';
export type { SmsOutboxEntry, OutboxEntry } from '../../outbox-file';

// No options; an unknown one is most likely a misplaced setting, so it is an error.
const optionsSchema = z.object({}).strict();

export function create(cfg: ProviderConfig, ctx: ProviderContext): SmsProvider {
  parseOptions(optionsSchema, cfg, 'outbox');
  // Once per message part, even when a send is retried after a crash between the write and the status.
  const write = outboxSender<SmsOutboxEntry>(cfg.id, outboxFile(ctx.dataDir, 'sms'), (e) =>
    typeof e.messageId === 'string' ? `${e.messageId}#${String(e.part ?? 0)}` : undefined,
  );
  return {
    id: cfg.id,
    type: 'outbox',
    channel: 'sms',
    async send(msg: OutboundSms): Promise<SendResult> {
      return write({ messageId: msg.messageId, part: msg.part, to: msg.to, text: msg.text, validUntil: msg.validUntil.toISOString() });
    },
  };
}
