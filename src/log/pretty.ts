// Log lines for people at a terminal: time, level, process, ids, message, then the rest as key=value.
import winston from 'winston';

const COLORS: Record<string, string> = { error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[36m', debug: '\x1b[90m' };
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const SKIP = new Set(['level', 'message', 'process', 'thread', 'notificationId', 'messageId', 'timestamp']);

function showValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One readable line per entry: `09:12:03.120 INFO  herald-all  [n=… m=…] message key=value`. */
export function formatPrettyLine(info: Record<string, unknown>, color: boolean): string {
  const paint = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const level = String(info.level);
  const time = String(info.timestamp ?? new Date().toISOString()).slice(11, 23);
  const ids = [info.notificationId && `n=${String(info.notificationId)}`, info.messageId && `m=${String(info.messageId)}`].filter(Boolean).join(' ');
  const rest = Object.entries(info)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${showValue(v)}`)
    .join(' ');
  return [
    paint(DIM, time),
    paint(COLORS[level] ?? '', level.toUpperCase().padEnd(5)),
    paint(DIM, info.thread ? `${String(info.process ?? '')}/${String(info.thread)}` : String(info.process ?? '')),
    ids ? paint(DIM, `[${ids}]`) : '',
    String(info.message),
    rest ? paint(DIM, rest) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export const prettyFormat = (color: boolean) =>
  winston.format.printf((info) => formatPrettyLine(info as unknown as Record<string, unknown>, color));
