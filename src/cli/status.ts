// `herald status ID [--watch]`: a notification, its messages (ids, status, warnings) and, with
// --watch, a progress bar redrawn until every message is done. Also the end of `send --wait`.
import type { MessageStatus } from '../domain/types';
import type { ApiClient } from './client';
import { CliError } from './client';
import { formatWindow } from './window-text';
import { colorEnabled, jsonLine, out, paint, progressBar, sleep, table, type Color } from './output';

interface Summary {
  id: string;
  programId: string;
  eventTypeId: string;
  status: string;
  startTime: string;
  endTime?: string;
  validUntil: string;
  requestedWindow?: { startTime: string; endTime?: string };
  warnings?: string[];
  counts: Partial<Record<MessageStatus, number>>;
  total: number;
}

interface MessageView {
  id: string;
  channel: string;
  to: string;
  status: MessageStatus;
  provider?: string;
  attempts: number;
  error?: { code: string; message: string };
  possibleDuplicate?: boolean;
  warnings?: string[];
  sms?: { parts: string[]; encoding: string };
}

/** No longer in Herald's hands: `sent` counts, since the outbox, SMTP and Gmail never report delivery. */
const DONE = new Set<MessageStatus>(['sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected']);
const BAD = new Set<MessageStatus>(['undelivered', 'failed', 'expired', 'rejected']);
const FAN_OUT_OVER = new Set(['dispatched', 'cancelled', 'expired']);
const COLOR: Partial<Record<MessageStatus, Color>> = { sent: 'green', delivered: 'green', failed: 'red', rejected: 'red', undelivered: 'red', expired: 'yellow', cancelled: 'yellow' };

/** What deserves a look in a message: its error, a possible duplicate, a split or re-encoded SMS, the server's own notes. */
export function messageWarnings(m: MessageView): string[] {
  const w = [...(m.warnings ?? [])];
  if (m.error) w.push(`${m.error.code}: ${m.error.message}`);
  if (m.possibleDuplicate) w.push('possible duplicate: an earlier attempt may have been sent');
  if (m.sms && m.sms.parts.length > 1) w.push(`split into ${m.sms.parts.length} SMS`);
  return w;
}

async function fetchAll(client: ApiClient, id: string, limit: number): Promise<{ n: Summary; messages: MessageView[]; more: number }> {
  const path = `/v1/notifications/${encodeURIComponent(id)}`;
  const n = await client.get<Summary>(path);
  const page = await client.get<{ items: MessageView[]; total: number }>(`${path}/messages`, { limit, offset: 0 });
  return { n, messages: page.items, more: page.total - page.items.length };
}

const doneCount = (n: Summary) => Object.entries(n.counts).reduce((sum, [s, c]) => sum + (DONE.has(s as MessageStatus) ? (c ?? 0) : 0), 0);
const badCount = (n: Summary) => Object.entries(n.counts).reduce((sum, [s, c]) => sum + (BAD.has(s as MessageStatus) ? (c ?? 0) : 0), 0);
const finished = (n: Summary) => FAN_OUT_OVER.has(n.status) && doneCount(n) === n.total;

function render(n: Summary, messages: MessageView[], more: number): string {
  const color = colorEnabled();
  const counts = Object.entries(n.counts).map(([k, v]) => paint(`${k}=${v}`, COLOR[k as MessageStatus], color)).join(' ');
  const lines = [
    `notification ${n.id}`,
    `  program ${n.programId}, event type ${n.eventTypeId}, ${n.status}`,
    formatWindow(n),
    ...(n.warnings ?? []).map((w) => `  warning  ${w}`),
    `  counts   ${counts || '(no messages yet)'}`,
    `  progress ${progressBar(doneCount(n), n.total)} done`,
  ];
  if (messages.length) {
    const t = table(['message', 'channel', 'to', 'status', 'provider', 'attempts', 'warnings']);
    for (const m of messages) {
      t.push([m.id, m.channel, m.to, paint(m.status, COLOR[m.status], color), m.provider ?? '', String(m.attempts), messageWarnings(m).join('\n')]);
    }
    lines.push(t.toString());
  }
  if (more > 0) lines.push(`  (${more} more messages; use --limit)`);
  return lines.join('\n') + '\n';
}

export interface StatusOptions {
  limit: number;
  watch?: boolean;
  json?: boolean;
  intervalMs?: number;
}

/** Prints the notification; with watch, until it is finished. Resolves the exit code. */
export async function statusCommand(client: ApiClient, id: string, o: StatusOptions): Promise<number> {
  if (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > 500) throw new CliError('--limit must be an integer from 1 to 500');
  const tty = process.stdout.isTTY === true;
  let drawn = 0;
  let lastProgress = '';
  for (;;) {
    const { n, messages, more } = await fetchAll(client, id, o.limit);
    const over = finished(n);
    if (o.json) {
      if (!o.watch || over) jsonLine({ notification: n, messages: messages.map((m) => ({ ...m, warnings: messageWarnings(m) })) });
    } else if (!o.watch || over || tty) {
      const text = render(n, messages, more);
      // On a terminal the previous drawing is replaced; in a pipe only the final one is drawn.
      if (tty && drawn) process.stdout.write(`\x1b[${drawn}F\x1b[0J`);
      process.stdout.write(text);
      drawn = text.split('\n').length - 1;
    } else {
      // Piped --watch: one progress line per change, no cursor movement.
      const line = `${progressBar(doneCount(n), n.total)} done (${n.status})`;
      if (line !== lastProgress) out(line);
      lastProgress = line;
    }
    if (!o.watch) return 0;
    if (over) return badCount(n) > 0 ? 1 : 0;
    await sleep(o.intervalMs ?? 1000);
  }
}
