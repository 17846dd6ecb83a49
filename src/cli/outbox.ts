// `herald outbox`: what the outbox providers wrote, read through GET /v1/outbox on any host.
import type { Channel } from '../domain/types';
import type { OutboxItem, OutboxPage } from '../services/outbox';
import type { ApiClient } from './client';
import { jsonLine, out, paint, sleep, untilInterrupted } from './output';

const PAGE = 1000;

export interface OutboxOptions {
  follow?: boolean;
  channel?: Channel;
  notification?: string;
  json?: boolean;
}

export function formatOutbox(e: OutboxItem): string {
  const head = `${e.time}  ${e.channel.toUpperCase().padEnd(5)} to ${e.to}${e.part ? ` (part ${e.part + 1})` : ''}`;
  const ids = paint(`  message ${e.messageId}  notification ${e.notificationId}`, 'dim');
  const body = e.subject !== undefined ? `  Subject: ${e.subject}\n  ${e.text.replace(/\n/g, '\n  ')}` : `  ${e.text}`;
  return `${head}\n${ids}\n${body}\n`;
}

export async function outboxCommand(client: ApiClient, o: OutboxOptions): Promise<void> {
  const print = (e: OutboxItem) => (o.json ? jsonLine(e) : process.stdout.write(formatOutbox(e)));
  let after: string | undefined;
  const readPage = async () => {
    const page = await client.get<OutboxPage>('/v1/outbox', { notificationId: o.notification, channel: o.channel, after, limit: PAGE });
    page.items.forEach(print);
    after = page.next;
    return page.items.length;
  };
  let shown = 0;
  for (let n = PAGE; n === PAGE; shown += n) n = await readPage();
  if (shown === 0 && !o.json && !o.follow) out(`the outbox is empty${o.notification ? ` for notification ${o.notification}` : ''}`);
  if (!o.follow) return;
  const interrupt = untilInterrupted();
  while (!interrupt.stopped()) {
    await Promise.race([sleep(500), interrupt.done]);
    if (!interrupt.stopped()) while ((await readPage()) === PAGE);
  }
}
