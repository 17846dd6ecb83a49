// How a message is stored in MongoDB, where it differs from the record: a history entry is an array
// [status, at, reason, provider, providerStatus] (no field names: a message sent carries four), and an
// SMS's single part equal to its text is not stored twice. Every message document is held whole in
// memory by the test server (mongo-java-server), copied at each update: 6.4 -> 4.7 KB of its heap
// a message sent. Documents written before keep their object entries and full parts; both are read.
import type { Message, MessageStatus, StatusChange } from '../../domain/types';
import { toRecord } from './docs';
import { messageShell } from '../message-record';

type Doc = Record<string, unknown>;

/** Set by transitionEachReturning only: which of several concurrent writers won a compare-and-set. */
export const CAS_TOKEN = 'casToken';
const CAS_HIDDEN = [CAS_TOKEN];

/** Provider message ids as field names: '%', '.' and '$' cannot appear in one. */
export const partKey = (id: string): string => id.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
const partId = (key: string): string => key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');

/** A history entry as stored: trailing absent fields left out, null for one absent before a present one. */
export function packChange(c: StatusChange): unknown[] {
  // Made at its final length (two entries a message on the worker's path): no list of the optional fields first.
  if (c.providerStatus !== undefined) return [c.status, c.at, c.reason ?? null, c.provider ?? null, c.providerStatus];
  if (c.provider !== undefined) return [c.status, c.at, c.reason ?? null, c.provider];
  if (c.reason !== undefined) return [c.status, c.at, c.reason];
  return [c.status, c.at];
}

function unpackChange(h: unknown): StatusChange {
  if (!Array.isArray(h)) return toRecord<StatusChange>(h as Doc); // written before the array form
  const c: StatusChange = { status: h[0] as MessageStatus, at: h[1] as Date };
  if (h[2] != null) c.reason = h[2] as string;
  if (h[3] != null) c.provider = h[3] as string;
  if (h[4] != null) c.providerStatus = h[4] as string;
  return c;
}

/** The stored `sms`: without `parts` when its one part is the content's text. */
export function storedSms(sms: unknown, content: unknown): unknown {
  const s = sms as { parts?: unknown[] } | undefined;
  const text = (content as { text?: unknown } | undefined)?.text;
  if (!s || !Array.isArray(s.parts) || s.parts.length !== 1 || s.parts[0] !== text || typeof text !== 'string') return sms;
  const { parts: _parts, ...rest } = s;
  return rest;
}

/** Store-only fields, never in the record. */
const NOT_RECORD: ReadonlySet<string> = new Set(['_id', '__v', ...CAS_HIDDEN]);

/**
 * The record of a stored message as toRecord makes it (`_id` as `id`, top-level nulls absent, the
 * token hidden), in a message shell (message-record.ts): toRecord's `{}` made every message a dictionary.
 */
export const fromDoc = (d: Doc): Message => {
  const m = messageShell();
  if (!('id' in d) && typeof d._id === 'string') m.id = d._id;
  for (const k in d) {
    const v = d[k];
    if (v !== null && v !== undefined && !NOT_RECORD.has(k)) m[k] = v;
  }
  const r = m as unknown as Message;
  r.statusHistory = ((d.statusHistory as unknown[]) ?? []).map(unpackChange);
  if (r.sms && !Array.isArray(r.sms.parts) && typeof r.content?.text === 'string') r.sms = { ...r.sms, parts: [r.content.text] };
  if (d.partStatuses && typeof d.partStatuses === 'object') {
    r.partStatuses = Object.fromEntries(Object.entries(d.partStatuses as Record<string, MessageStatus>).map(([k, v]) => [partId(k), v]));
  }
  return r;
};
