// One line per event, from every process, with the process name and the ids it concerns: JSON
// lines for machines, readable lines on a terminal. Personal data is masked before any sink.
import { Writable } from 'node:stream';
import winston from 'winston';
import type { LogRepo } from '../store/store';
import { plainMeta, writeFastLine, type LineSinks } from './fast-line';
import { maskText, maskValue } from './mask';
import { prettyFormat } from './pretty';
import { StoreLogTransport } from './store-sink';

export { StoreLogTransport };

export type Logger = winston.Logger;

export interface LogIds {
  workspaceId?: string;
  notificationId?: string;
  messageId?: string;
}

export interface LoggerOptions {
  level?: string;
  /** Nothing on stdout (tests, the CLI's own store access). */
  silent?: boolean;
  /** stdout lines: JSON (the default) or readable. */
  format?: 'json' | 'pretty';
  /** Colours in readable lines. */
  color?: boolean;
  /** Mask phone numbers and e-mail addresses (default on). */
  maskPersonalData?: boolean;
  /** The thread writing, on every line beside the process (`herald all`'s sender threads: sender-1...). */
  thread?: string;
}

/** `auto` is readable on a terminal and JSON when stdout is a pipe or a file. */
export function resolveLogFormat(setting: 'auto' | 'json' | 'pretty', stdoutIsTTY: boolean): 'json' | 'pretty' {
  return setting === 'auto' ? (stdoutIsTTY ? 'pretty' : 'json') : setting;
}

/**
 * Masks every field but the level, the process, the notification id and the time, so stdout and the
 * store see the same masked line. A message id holds its recipient's user id, which may be a phone
 * number: it is masked like any text (GET /v1/logs masks a messageId filter the same way).
 */
const maskFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'process' || key === 'thread' || key === 'notificationId' || key === 'timestamp') continue;
    info[key] = key === 'message' && typeof info.message === 'string' ? maskText(info.message) : maskValue(info[key]);
  }
  return info;
});

/**
 * stdout with the lines of one turn of the event loop written together: a write to a file or a pipe
 * is a blocking system call, one per line otherwise. What is left is written when the process exits.
 */
class BatchedStdout extends Writable {
  private lines: string[] = [];
  private scheduled = false;

  constructor() {
    super({ decodeStrings: false });
    process.once('exit', () => this.flush());
  }

  override _write(chunk: unknown, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writeLine(String(chunk));
    cb();
  }

  /** What a write does, without the stream's bookkeeping (the workers' per-message lines). */
  writeLine(text: string): void {
    this.lines.push(text);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    // In a worker thread (`herald all`'s sender threads) process.stdout goes through the main thread's:
    // one writer to fd 1, so no line is ever cut by another thread's (a thread writing fd 1 itself
    // could land in the middle of the main thread's write once the pipe is full).
    process.stdout.write(text);
  }
}

let sharedStdout: BatchedStdout | undefined;

/**
 * Writes the lines still batched and resolves once stdout has taken them: a worker thread calls it
 * before it ends, else its last lines (on their way to the main thread) are lost.
 */
export function flushStdout(): Promise<void> {
  sharedStdout?.flush();
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

/** The sinks of the loggers createLogger made, for logMessage's direct line (fast-line.ts). */
const directSinks = new WeakMap<Logger, LineSinks>();

/** Any change of transports but attachStoreSink's hands the lines back to winston. */
function watchTransports(logger: Logger, sinks: LineSinks): void {
  for (const method of ['add', 'remove', 'clear', 'configure'] as const) {
    const original = logger[method] as (...a: unknown[]) => unknown;
    (logger as unknown as Record<string, unknown>)[method] = function (this: Logger, ...a: unknown[]) {
      sinks.valid = false;
      return original.apply(this, a);
    };
  }
}

/** Builds a logger writing JSON lines (or readable ones) to stdout. */
export function createLogger(processName: string, opts: LoggerOptions = {}): Logger {
  const stdout = opts.format === 'pretty' ? prettyFormat(opts.color ?? false) : winston.format.json();
  const out = opts.silent ? undefined : (sharedStdout ??= new BatchedStdout());
  const logger = winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: opts.thread ? { process: processName, thread: opts.thread } : { process: processName },
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      ...(opts.maskPersonalData === false ? [] : [maskFormat()]),
    ),
    transports: [
      opts.silent
        ? new winston.transports.Console({ silent: true, format: stdout })
        : new winston.transports.Stream({ stream: out!, format: stdout }),
    ],
  });
  const sinks: LineSinks = {
    process: processName,
    thread: opts.thread,
    mask: opts.maskPersonalData !== false,
    stdout: out && { json: opts.format !== 'pretty', color: opts.color ?? false, write: (text) => out.writeLine(text) },
    valid: true,
  };
  directSinks.set(logger, sinks);
  watchTransports(logger, sinks);
  return logger;
}

export function withIds(logger: Logger, ids: LogIds): Logger {
  const meta: Record<string, string> = {};
  if (ids.workspaceId) meta.workspaceId = ids.workspaceId;
  if (ids.notificationId) meta.notificationId = ids.notificationId;
  if (ids.messageId) meta.messageId = ids.messageId;
  return logger.child(meta);
}

/** A logger for lines about one message: its workspace (whose keys then see them in /v1/logs), notification and id. */
export function forMessage(logger: Logger, m: { id: string; notificationId: string; workspaceId?: string }): Logger {
  return withIds(logger, { workspaceId: m.workspaceId, notificationId: m.notificationId, messageId: m.id });
}

type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** One line with a notification's ids (and a message's, when `id` is given), without a child logger. */
function logWithIds(logger: Logger, level: LogLevel, ids: { id?: string; notificationId: string; workspaceId?: string }, message: string, meta?: Record<string, unknown>): void {
  if (!logger.isLevelEnabled(level)) return;
  const direct = directSinks.get(logger);
  if (direct?.valid && plainMeta(meta)) return writeFastLine(direct, logger.levels, level, ids, message, meta);
  const line: Record<string, unknown> = ids.workspaceId ? { workspaceId: ids.workspaceId } : {};
  if (ids.notificationId) line.notificationId = ids.notificationId;
  if (ids.id !== undefined) line.messageId = ids.id;
  logger.log(level, message, meta ? Object.assign(line, meta) : line);
}

/**
 * One line about one message, with the same ids as `forMessage` but no child logger made for it:
 * the channel workers' hot path, where most messages write one line (or none).
 */
export function logMessage(logger: Logger, level: LogLevel, m: { id: string; notificationId: string; workspaceId?: string }, message: string, meta?: Record<string, unknown>): void {
  logWithIds(logger, level, m, message, meta);
}

/**
 * One line about one notification (its workspace and id), as `forNotification(logger, n).log(...)` writes
 * it, without a child logger and, like logMessage, without winston's stream pipeline: the accept path and
 * the fan-out write one per notification.
 */
export function logNotification(logger: Logger, level: LogLevel, n: { notificationId: string; workspaceId?: string }, message: string, meta?: Record<string, unknown>): void {
  logWithIds(logger, level, n, message, meta);
}

/** A logger for lines about one notification, with its workspace. */
export function forNotification(logger: Logger, n: { id: string; workspaceId?: string }): Logger {
  return withIds(logger, { workspaceId: n.workspaceId, notificationId: n.id });
}

/** Adds the consolidated-log sink to a logger; returns it so the caller can flush on shutdown. */
export function attachStoreSink(logger: Logger, repo: LogRepo, level?: string, callTimeoutMs?: number): StoreLogTransport {
  const t = new StoreLogTransport(repo, { level, callTimeoutMs, warn: (message, meta) => logger.warn(message, meta) });
  const sinks = directSinks.get(logger);
  if (sinks?.valid && !sinks.store) {
    // Not through the watched add: the direct lines reach this sink too.
    winston.Logger.prototype.add.call(logger, t);
    sinks.store = t;
  } else logger.add(t);
  return t;
}
