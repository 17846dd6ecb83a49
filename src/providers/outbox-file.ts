// The outbox: one JSON line per message in <dataDir>/outbox/<channel>.jsonl, written by the
// `outbox` providers and read by `herald outbox [--follow]`. Imports nothing from Herald.
import fs from 'node:fs';
import path from 'node:path';
import type { Channel } from '../domain/types';
import { ProviderError } from './types';

export interface SmsOutboxEntry {
  /** ISO time the line was written. */
  time: string;
  /** providerMessageId, `outbox-<uuid>`. */
  id: string;
  messageId: string;
  part: number;
  to: string;
  text: string;
  validUntil: string;
}

export interface EmailOutboxEntry {
  time: string;
  id: string;
  messageId: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  validUntil: string;
}

export type OutboxEntry = SmsOutboxEntry | EmailOutboxEntry;
export type OutboxEntryFor<C extends Channel> = C extends 'sms' ? SmsOutboxEntry : EmailOutboxEntry;

export function outboxFile(dataDir: string, channel: Channel): string {
  return path.join(dataDir, 'outbox', `${channel}.jsonl`);
}

/**
 * Appends one line and fsyncs before returning: once this returns the line is on disk whole.
 * One write() on an O_APPEND descriptor, so lines from several processes never interleave.
 */
export function appendJsonLineSync(file: string, value: unknown): void {
  const line = Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    let written = 0;
    while (written < line.length) written += fs.writeSync(fd, line, written, line.length - written);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** A failed append as a ProviderError: a full disk may clear up, a permission problem will not. */
export function writeFailure(providerId: string, file: string, e: unknown): ProviderError {
  const err = e as NodeJS.ErrnoException;
  const transient = ['ENOSPC', 'EAGAIN', 'EMFILE', 'ENFILE', 'EBUSY', 'EIO'].includes(err.code ?? '');
  return new ProviderError(transient ? 'SERVER_ERROR' : 'UNKNOWN', `${providerId}: cannot append to ${file}: ${err.message}`, {
    providerCode: err.code,
  });
}

/** Splits a chunk into complete JSON lines; returns the bytes of complete lines consumed. */
function parseLines(text: string, file: string, onValue: (v: unknown) => void): number {
  let consumed = 0;
  let nl: number;
  while ((nl = text.indexOf('\n', consumed)) !== -1) {
    const line = text.slice(consumed, nl);
    consumed = nl + 1;
    if (line.trim() === '') continue;
    try {
      onValue(JSON.parse(line));
    } catch {
      // A corrupt line (edited by hand) must not hide the rest of the outbox.
      process.emitWarning(`outbox: skipping a line that is not JSON in ${file}`);
    }
  }
  return Buffer.byteLength(text.slice(0, consumed), 'utf8');
}

/** Every entry of a channel's outbox, oldest first; [] when nothing was sent yet. */
export function readOutbox<C extends Channel>(dataDir: string, channel: C): Array<OutboxEntryFor<C>> {
  const file = outboxFile(dataDir, channel);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const entries: Array<OutboxEntryFor<C>> = [];
  parseLines(text, file, (v) => entries.push(v as OutboxEntryFor<C>));
  return entries;
}

export interface OutboxSlice<C extends Channel> {
  /** Complete lines from the offset on, each with the byte offsets it starts and ends at. */
  entries: Array<{ entry: OutboxEntryFor<C>; start: number; end: number }>;
  /** Offset after the last complete line: where the next read starts. */
  end: number;
}

/**
 * The entries written at or after byte `offset` (a file shorter than the offset was truncated or
 * replaced: read from its top). Only whole lines; a line still being written waits for the next read.
 */
export function readOutboxFrom<C extends Channel>(dataDir: string, channel: C, offset: number): OutboxSlice<C> {
  const file = outboxFile(dataDir, channel);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], end: 0 };
    throw e;
  }
  let pos = offset > buf.length ? 0 : offset;
  const entries: OutboxSlice<C>['entries'] = [];
  for (let nl = buf.indexOf(10, pos); nl !== -1; nl = buf.indexOf(10, pos)) {
    const start = pos;
    pos = nl + 1;
    const line = buf.subarray(start, nl).toString('utf8');
    if (line.trim() === '') continue;
    try {
      entries.push({ entry: JSON.parse(line) as OutboxEntryFor<C>, start, end: pos });
    } catch {
      process.emitWarning(`outbox: skipping a line that is not JSON in ${file}`);
    }
  }
  return { entries, end: pos };
}

export interface FollowOptions {
  /** Replay the lines already in the file first (default: only new lines). */
  fromStart?: boolean;
  /** Poll interval (default 200 ms). */
  intervalMs?: number;
}

/**
 * Calls onEntry for each line appended to the channel's outbox, polling the file (it may not
 * exist yet, and may be truncated or replaced: then it starts again from the top).
 * Returns stop(); until then the timer keeps the process alive, as `--follow` wants.
 */
export function followOutbox<C extends Channel>(
  dataDir: string,
  channel: C,
  onEntry: (entry: OutboxEntryFor<C>) => void,
  opts: FollowOptions = {},
): () => void {
  const file = outboxFile(dataDir, channel);
  const statNow = (): fs.Stats | undefined => {
    try {
      return fs.statSync(file);
    } catch {
      return undefined;
    }
  };
  // Inode plus birth time: an inode number alone may be reused by the file that replaces it.
  const identity = (st: fs.Stats | undefined): string | undefined => (st ? `${st.ino}:${st.birthtimeMs}` : undefined);
  const first = statNow();
  let offset = opts.fromStart ? 0 : (first?.size ?? 0);
  let seenFile = identity(first);
  let stopped = false;

  const poll = (): void => {
    if (stopped) return;
    const st = statNow();
    if (!st) {
      offset = 0; // removed: whatever appears next is read from its first line
      seenFile = undefined;
      return;
    }
    if (st.size < offset || (seenFile !== undefined && identity(st) !== seenFile)) offset = 0; // truncated or replaced
    seenFile = identity(st);
    const size = st.size;
    if (size === offset) return;
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return; // removed since the stat: the next poll sees what replaced it
    }
    try {
      const buf = Buffer.alloc(size - offset);
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      // Only whole lines are consumed; a line still being written is read on the next poll.
      offset += parseLines(buf.subarray(0, n).toString('utf8'), file, (v) => {
        if (!stopped) onEntry(v as OutboxEntryFor<C>);
      });
    } finally {
      fs.closeSync(fd);
    }
  };

  poll();
  const timer = setInterval(poll, opts.intervalMs ?? 200);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
