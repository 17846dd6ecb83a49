// The channel workers' per-message line without winston's stream pipeline: the same info object
// (same keys, same masking, same timestamp), formatted and handed to the same two sinks (stdout and
// the consolidated log) directly. Taken only while the logger still has exactly the sinks
// createLogger / attachStoreSink gave it and the line is plain (strings, numbers, booleans, lists of
// strings); anything else goes through winston as before.
import os from 'node:os';
import type { LogLine } from '../domain/types';
import { maskText, maskValue } from './mask';
import { formatPrettyLine } from './pretty';

export interface LineSinks {
  process: string;
  thread?: string;
  mask: boolean;
  /** stdout format; undefined: nothing on stdout (silent). */
  stdout?: { json: boolean; color: boolean; write(text: string): void };
  /** The consolidated log's transport and its own level. */
  store?: { level?: string; pushLine(line: LogLine): void };
  /** False once anyone else added, removed or reset transports: winston decides from then on. */
  valid: boolean;
}

/** Keys winston treats specially (or the line sets itself): a meta carrying one goes through winston. */
const RESERVED = new Set(['level', 'message', 'stack', 'cause', 'process', 'thread', 'timestamp', 'workspaceId', 'notificationId', 'messageId', 'splat']);

function plainValue(v: unknown): boolean {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean' || v === undefined) return true;
  if (!Array.isArray(v)) return false;
  for (const x of v) if (typeof x !== 'string') return false;
  return true;
}

/** Whether the fast line renders `meta` exactly as winston would. */
export function plainMeta(meta: Record<string, unknown> | undefined): boolean {
  if (!meta) return true;
  for (const k in meta) if (RESERVED.has(k) || !plainValue(meta[k])) return false;
  return true;
}

/** A key as JSON plus its colon, made once per key name (lines have a handful of names). */
const quotedKeys = new Map<string, string>();
function quotedKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = `${JSON.stringify(k)}:`;
    if (quotedKeys.size < 1000) quotedKeys.set(k, q);
  }
  return q;
}

/** winston's json format (safe-stable-stringify, keys sorted) for a flat line of plain values. */
/** The last line's keys as built and sorted: lines of one kind repeat them (no sort per line). */
let lastKeys: string[] = [];
let lastSorted: string[] = [];
function sortedKeys(info: Record<string, unknown>): string[] {
  const keys = Object.keys(info);
  if (keys.length === lastKeys.length) {
    let same = true;
    for (let i = 0; i < keys.length && same; i++) same = keys[i] === lastKeys[i];
    if (same) return lastSorted;
  }
  lastKeys = keys;
  lastSorted = keys.slice().sort();
  return lastSorted;
}

export function stableJson(info: Record<string, unknown>): string {
  const keys = sortedKeys(info);
  // The same text from the engine's own JSON.stringify of the keys in that order (one string built, not
  // one per key and value), unless a key looks like an array index: an object lists those first.
  let indexLike = false;
  for (let i = 0; i < keys.length; i++) {
    const c = keys[i].charCodeAt(0);
    if (c >= 48 && c <= 57) indexLike = true;
  }
  if (!indexLike) {
    const sorted: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) sorted[keys[i]] = info[keys[i]];
    return JSON.stringify(sorted);
  }
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const v = info[keys[i]];
    if (v === undefined) continue;
    out += (out === '' ? '{' : ',') + quotedKey(keys[i]) + JSON.stringify(v);
  }
  return out === '' ? '{}' : `${out}}`;
}

const EOL = os.EOL;

/**
 * Writes one line: `info` is built in winston's key order (default meta, the ids, the meta, level,
 * message, timestamp), masked as the mask format does (all but level, process, notificationId and
 * timestamp), then formatted for stdout and pushed to the consolidated log.
 */
export function writeFastLine(
  sinks: LineSinks,
  levels: Record<string, number>,
  level: string,
  m: { id?: string; notificationId: string; workspaceId?: string },
  message: string,
  meta: Record<string, unknown> | undefined,
): void {
  const mask = sinks.mask;
  const now = new Date();
  const info: Record<string, unknown> = { process: sinks.process };
  let storedMeta: Record<string, unknown> | undefined;
  if (sinks.thread) {
    info.thread = sinks.thread;
    storedMeta = { thread: sinks.thread };
  }
  if (m.workspaceId) info.workspaceId = mask ? maskText(m.workspaceId) : m.workspaceId;
  if (m.notificationId) info.notificationId = m.notificationId;
  // A notification's line (the accept path, the fan-out) has no message id.
  if (m.id !== undefined) info.messageId = mask ? maskText(m.id) : m.id;
  if (meta) {
    for (const k in meta) {
      const v = mask ? maskValue(meta[k]) : meta[k];
      info[k] = v;
      (storedMeta ??= {})[k] = v;
    }
  }
  info.level = level;
  info.message = mask ? maskText(message) : message;
  info.timestamp = now.toISOString();
  const out = sinks.stdout;
  if (out) out.write((out.json ? stableJson(info) : formatPrettyLine(info, out.color)) + EOL);
  const store = sinks.store;
  if (store && (store.level === undefined || levels[store.level] >= levels[level])) {
    store.pushLine({
      time: now,
      level,
      process: sinks.process,
      message: info.message as string,
      workspaceId: info.workspaceId as string | undefined,
      notificationId: info.notificationId as string | undefined,
      messageId: info.messageId as string | undefined,
      meta: storedMeta,
    });
  }
}
