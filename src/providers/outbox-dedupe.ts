// What an outbox file already holds, by message (and SMS part): a send interrupted between writing
// its line and recording its status (kill -9) is retried, and must not write the line twice.
// Reads only what was appended since the last look, whoever appended it.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { appendJsonLineSync, writeFailure, type OutboxEntry } from './outbox-file';
import type { SendResult } from './types';

type EntryKey = (entry: Record<string, unknown>) => string | undefined;

/**
 * The send() of an outbox provider: appends the entry (fsynced) under a new `outbox-<uuid>` id,
 * once per key; a key already in the file answers with the id written then.
 */
export function outboxSender<E extends OutboxEntry>(providerId: string, file: string, keyOf: EntryKey): (fields: Omit<E, 'time' | 'id'>) => SendResult {
  const written = new OutboxIndex(file, keyOf);
  return (fields) => {
    const key = keyOf(fields);
    const already = key === undefined ? undefined : written.find(key);
    if (already) return { providerMessageId: already, status: 'sent' };
    const entry = { time: new Date().toISOString(), id: `outbox-${randomUUID()}`, ...fields };
    try {
      appendJsonLineSync(file, entry);
    } catch (e) {
      throw writeFailure(providerId, file, e);
    }
    if (key !== undefined) written.remember(key, entry.id);
    return { providerMessageId: entry.id, status: 'sent' };
  };
}

export class OutboxIndex {
  private readonly ids = new Map<string, string>();
  private offset = 0;
  private identity: string | undefined;

  constructor(
    private readonly file: string,
    /** The key of a parsed line, e.g. `${messageId}#${part}`; undefined skips it. */
    private readonly keyOf: EntryKey,
  ) {}

  /** The provider id already written for `key`, if any. */
  find(key: string): string | undefined {
    this.catchUp();
    return this.ids.get(key);
  }

  remember(key: string, providerMessageId: string): void {
    this.ids.set(key, providerMessageId);
  }

  private catchUp(): void {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      this.reset(undefined);
      return;
    }
    const identity = `${st.ino}:${st.birthtimeMs}`;
    if (identity !== this.identity || st.size < this.offset) this.reset(identity); // replaced or truncated by hand
    if (st.size === this.offset) return;
    const fd = fs.openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(st.size - this.offset);
      const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
      const text = buf.subarray(0, n);
      const end = text.lastIndexOf(0x0a); // only whole lines; a partial last line is read next time
      if (end === -1) return;
      for (const line of text.subarray(0, end).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          const key = this.keyOf(entry);
          if (key !== undefined && typeof entry.id === 'string') this.ids.set(key, entry.id);
        } catch {
          // a corrupt line (edited by hand) says nothing about what was sent
        }
      }
      this.offset += end + 1;
    } finally {
      fs.closeSync(fd);
    }
  }

  private reset(identity: string | undefined): void {
    this.ids.clear();
    this.offset = 0;
    this.identity = identity;
  }
}
