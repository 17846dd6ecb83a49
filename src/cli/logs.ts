// `herald logs`: the consolidated log of every Herald process, read through GET /v1/logs.
import type { LogLine } from '../domain/types';
import { parseIsoTime } from '../domain/time';
import type { LogQuery } from '../store/store';
import { CliError, type ApiClient } from './client';
import { createLogFollower } from './log-follower';
import { colorEnabled, jsonLine, paint, sleep, untilInterrupted, type Color } from './output';

const LEVELS = ['error', 'warn', 'info', 'debug'];
const LEVEL_COLOR: Record<string, Color> = { error: 'red', warn: 'yellow', debug: 'dim' };
/** The server's largest page. */
const PAGE = 1000;

export interface LogsOptions {
  follow?: boolean;
  notification?: string;
  message?: string;
  level?: string;
  process?: string;
  since?: string;
  until?: string;
  grep?: string;
  limit: number;
  json?: boolean;
}

type Wire = Omit<LogLine, 'time'> & { time: string };

export function formatLog(l: LogLine, color = colorEnabled()): string {
  const ids = [l.notificationId && `n=${l.notificationId}`, l.messageId && `m=${l.messageId}`].filter(Boolean).join(' ');
  const meta = l.meta && Object.keys(l.meta).length ? ` ${JSON.stringify(l.meta)}` : '';
  const level = paint(l.level.padEnd(5), LEVEL_COLOR[l.level], color);
  return `${l.time.toISOString()} ${level} ${l.process.padEnd(14)} ${ids ? `[${ids}] ` : ''}${l.message}${meta}\n`;
}

function timeOption(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const d = parseIsoTime(raw);
  if (!d) throw new CliError(`--${name} must be an ISO 8601 time`);
  return d;
}

function queryOf(o: LogsOptions): Omit<LogQuery, 'limit' | 'afterSeq'> {
  if (o.level && !LEVELS.includes(o.level)) throw new CliError('--level must be error, warn, info or debug');
  if (!Number.isInteger(o.limit) || o.limit < 1) throw new CliError('--limit must be a positive integer');
  if (o.grep === '') throw new CliError('--grep needs some text');
  return {
    notificationId: o.notification, messageId: o.message, level: o.level, process: o.process,
    since: timeOption('since', o.since), until: timeOption('until', o.until), grep: o.grep,
  };
}

export async function logsCommand(client: ApiClient, o: LogsOptions): Promise<void> {
  const base = queryOf(o);
  const fetchLines = async (q: LogQuery): Promise<LogLine[]> => {
    const { items } = await client.get<{ items: Wire[] }>('/v1/logs', {
      ...base, since: q.since?.toISOString(), until: q.until?.toISOString(), afterSeq: q.afterSeq, limit: q.limit, newest: q.newest,
    });
    return items.map((l) => ({ ...l, time: new Date(l.time) }));
  };
  const print = (l: LogLine) => (o.json ? jsonLine(l) : process.stdout.write(formatLog(l)));
  // The latest lines (printed oldest first), like `tail`; more than a page are read back to front.
  let lines = await fetchLines({ ...base, limit: Math.min(o.limit, PAGE), newest: true });
  while (lines.length < o.limit && lines.length > 0 && lines.length % PAGE === 0) {
    const older = await fetchLines({ ...base, until: lines[0].time, limit: Math.min(o.limit - lines.length, PAGE), newest: true });
    const fresh = older.filter((l) => l.seq === undefined || l.seq < (lines[0].seq ?? Infinity));
    if (fresh.length === 0) break;
    lines = [...fresh, ...lines];
  }
  lines.forEach(print);
  if (!o.follow) return;
  const follower = createLogFollower(fetchLines, base, { afterSeq: lines.length ? lines[lines.length - 1].seq : undefined });
  const interrupt = untilInterrupted();
  while (!interrupt.stopped()) {
    await Promise.race([sleep(500), interrupt.done]);
    if (!interrupt.stopped()) (await follower.poll()).forEach(print);
  }
}
