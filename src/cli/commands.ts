// Operator commands. They open the store (and the bus, for send) directly, so they work
// whether or not a server is running; errors end with one line and a non-zero exit.
import { createLogFollower } from './log-follower';
import fs from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import type { HeraldConfig } from '../config';
import type { Channel, LogLine } from '../domain/types';
import { parseIsoTime } from '../domain/time';
import { createLogger } from '../log/logger';
import { followOutbox, readOutbox, type OutboxEntry } from '../providers/outbox-file';
import { openBus, openStore } from '../runtime';
import { seedDemoData } from '../runtime/seed';
import { createNotificationService } from '../services/notifications';
import type { Store } from '../store/store';

class CliError extends Error {}

const quiet = () => createLogger('herald-cli', { silent: true });

async function withStore<T>(config: HeraldConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config, quiet());
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export async function seedCommand(config: HeraldConfig): Promise<void> {
  await withStore(config, async (store) => {
    await seedDemoData(store, quiet(), { onlyIfEmpty: false });
    process.stdout.write('demo data loaded: program 1 "Vaccination drive", event type "1", users amina, ben, chloe, dev\n');
  });
}

function formatOutbox(channel: Channel, e: OutboxEntry): string {
  const head = `${e.time}  ${channel.toUpperCase().padEnd(5)} to ${e.to}`;
  if ('subject' in e) return `${head}\n  Subject: ${e.subject}\n  ${e.text.replace(/\n/g, '\n  ')}\n`;
  return `${head}${e.part > 0 ? ` (part ${e.part + 1})` : ''}\n  ${e.text}\n`;
}

export async function outboxCommand(config: HeraldConfig, o: { follow?: boolean; channel?: Channel; json?: boolean }): Promise<void> {
  const channels: Channel[] = o.channel ? [o.channel] : ['sms', 'email'];
  const dataDir = path.resolve(config.dataDir);
  const print = (channel: Channel, e: OutboxEntry) =>
    process.stdout.write(o.json ? JSON.stringify({ channel, ...e }) + '\n' : formatOutbox(channel, e));
  if (!o.follow) {
    const entries = channels
      .flatMap((c) => readOutbox(dataDir, c).map((e) => ({ c, e: e as OutboxEntry })))
      .sort((a, b) => a.e.time.localeCompare(b.e.time));
    if (entries.length === 0) process.stdout.write(`the outbox in ${path.join(dataDir, 'outbox')} is empty\n`);
    entries.forEach(({ c, e }) => print(c, e));
    return;
  }
  const stops = channels.map((c) => followOutbox(dataDir, c, (e: OutboxEntry) => print(c, e), { fromStart: true }));
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  stops.forEach((s) => s());
}

function formatLog(l: LogLine): string {
  const ids = [l.notificationId && `n=${l.notificationId}`, l.messageId && `m=${l.messageId}`].filter(Boolean).join(' ');
  const meta = l.meta && Object.keys(l.meta).length ? ` ${JSON.stringify(l.meta)}` : '';
  return `${l.time.toISOString()} ${l.level.padEnd(5)} ${l.process.padEnd(14)} ${ids ? `[${ids}] ` : ''}${l.message}${meta}\n`;
}

export async function logsCommand(
  config: HeraldConfig,
  o: { follow?: boolean; notification?: string; message?: string; level?: string; process?: string; since?: string; limit: number; json?: boolean },
): Promise<void> {
  if (o.level && !['error', 'warn', 'info', 'debug'].includes(o.level)) throw new CliError('--level must be error, warn, info or debug');
  const since = o.since ? parseIsoTime(o.since) : undefined;
  if (since === null) throw new CliError('--since must be an ISO 8601 time');
  if (!Number.isInteger(o.limit) || o.limit < 1) throw new CliError('--limit must be a positive integer');
  await withStore(config, async (store) => {
    const q = { notificationId: o.notification, messageId: o.message, level: o.level, process: o.process, since };
    const print = (l: LogLine) => process.stdout.write(o.json ? JSON.stringify(l) + '\n' : formatLog(l));
    // The latest lines (printed oldest first), like `tail`; following continues after the last one.
    let lines = await store.logs.query({ ...q, limit: o.limit, newest: true });
    lines.forEach(print);
    if (!o.follow) return;
    const follower = createLogFollower((lq) => store.logs.query(lq), q, { afterSeq: lines.length ? lines[lines.length - 1].seq : undefined });
    let stopped = false;
    process.once('SIGINT', () => (stopped = true));
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 500));
      (await follower.poll()).forEach(print);
    }
  });
}

export async function sendCommand(
  config: HeraldConfig,
  o: { program?: string; eventType?: string; start?: string; end?: string; data?: string; file?: string },
): Promise<void> {
  let body: Record<string, unknown> = {};
  if (o.file) {
    try {
      body = JSON.parse(fs.readFileSync(o.file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new CliError(`cannot read ${o.file}: ${(e as Error).message}`);
    }
  }
  let data = (body.data as Record<string, unknown> | undefined) ?? {};
  if (o.data) {
    try {
      data = JSON.parse(o.data) as Record<string, unknown>;
    } catch {
      throw new CliError('--data must be a JSON object');
    }
  }
  const programId = o.program ?? (body.programId !== undefined ? String(body.programId) : undefined);
  const eventTypeId = o.eventType ?? (body.eventTypeId !== undefined ? String(body.eventTypeId) : undefined);
  if (!programId) throw new CliError('--program is required');
  if (!eventTypeId) throw new CliError('--event-type is required');
  const startRaw = o.start ?? (body.startTime as string | undefined);
  const endRaw = o.end ?? (body.endTime as string | undefined);
  const startTime = startRaw ? parseIsoTime(startRaw) : new Date();
  const endTime = endRaw ? parseIsoTime(endRaw) : undefined;
  if (!startTime) throw new CliError('--start must be an ISO 8601 time');
  if (endTime === null) throw new CliError('--end must be an ISO 8601 time');
  const logger = quiet();
  await withStore(config, async (store) => {
    const bus = await openBus(config, logger);
    try {
      const svc = createNotificationService({ store, bus, config, logger });
      const n = await svc.accept({ programId, eventTypeId, startTime, endTime, data, source: 'cli' });
      process.stdout.write(`${n.id}\n`);
    } finally {
      await bus.close();
    }
  });
}

export async function statusCommand(config: HeraldConfig, id: string, o: { limit: number }): Promise<void> {
  await withStore(config, async (store) => {
    const n = await store.notifications.get(id);
    if (!n) throw new CliError(`notification '${id}' not found`);
    const counts = await store.messages.countByStatus(id);
    const window = `${n.startTime.toISOString()} .. ${n.endTime ? n.endTime.toISOString() : `(open, valid until ${n.validUntil.toISOString()})`}`;
    process.stdout.write(`notification ${n.id}\n  program ${n.programId}, event type ${n.eventTypeId}, ${n.status}\n  window  ${window}\n`);
    process.stdout.write(`  counts  ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ') || '(no messages yet)'}\n`);
    const page = await store.messages.list(id, {}, { limit: o.limit, offset: 0 });
    if (page.items.length === 0) return;
    const table = new Table({ head: ['user', 'channel', 'to', 'status', 'provider', 'attempts', 'updated', 'error'] });
    for (const m of page.items) {
      table.push([m.userId, m.channel, m.to, m.status, m.provider ?? '', String(m.attempts), m.updatedAt.toISOString(), m.error?.message ?? '']);
    }
    process.stdout.write(table.toString() + '\n');
    if (page.total > page.items.length) process.stdout.write(`  (${page.total - page.items.length} more; use --limit)\n`);
  });
}
