// What the outbox providers wrote, read for the API (GET /v1/outbox) and so for `herald outbox`
// on any host: entries of both channels in time order, resumable with a cursor of byte offsets.
import { HeraldError, ValidationError } from '../../domain/errors';
import type { Channel } from '../../domain/types';
import { readOutboxFrom, type OutboxEntry } from '../../providers/outbox-file';

export interface OutboxItem {
  channel: Channel;
  notificationId: string;
  messageId: string;
  /** The outbox's provider message id. */
  id: string;
  time: string;
  to: string;
  text: string;
  subject?: string;
  /** SMS part, 0-based. */
  part?: number;
}

export interface OutboxQuery {
  notificationId?: string;
  channel?: Channel;
  /** The `next` of an earlier answer: only entries written since. */
  after?: string;
  limit: number;
}

export interface OutboxPage {
  items: OutboxItem[];
  /** Pass as `after` to read on from here (following). */
  next: string;
}

type Offsets = Partial<Record<Channel, number>>;

/** `sms:120,email:0`: byte offsets per channel file. */
function parseCursor(after: string | undefined): Offsets {
  if (after === undefined || after === '') return {};
  const offsets: Offsets = {};
  for (const part of after.split(',')) {
    const m = /^(sms|email):(\d{1,15})$/.exec(part);
    if (!m) throw new ValidationError([{ field: 'after', reason: "must be the 'next' value of an earlier answer, e.g. sms:120,email:0" }]);
    offsets[m[1] as Channel] = Number(m[2]);
  }
  return offsets;
}

/** Message ids are `<notificationId>:<userId>:<channel>`, and notification ids hold no colon. */
const notificationOf = (messageId: string) => messageId.split(':')[0];

function toItem(channel: Channel, e: OutboxEntry): OutboxItem {
  const base = { channel, notificationId: notificationOf(e.messageId), messageId: e.messageId, id: e.id, time: e.time, to: e.to, text: e.text };
  return 'subject' in e ? { ...base, subject: e.subject } : { ...base, part: e.part };
}

/** `channels`: those whose messages go to the outbox on this Herald; none answers 404. */
export function createOutboxService(deps: { dataDir: string; channels: Channel[] }) {
  return {
    read(q: OutboxQuery): OutboxPage {
      if (deps.channels.length === 0) throw new HeraldError('NOT_FOUND', 'no outbox provider is in use here: messages go to real providers');
      const from = parseCursor(q.after);
      const channels = deps.channels.filter((c) => !q.channel || c === q.channel);
      const next: Offsets = { ...from };
      const candidates: Array<{ item: OutboxItem; start: number }> = [];
      for (const channel of channels) {
        const slice = readOutboxFrom(deps.dataDir, channel, from[channel] ?? 0);
        next[channel] = slice.end;
        for (const { entry, start } of slice.entries) {
          const item = toItem(channel, entry);
          if (!q.notificationId || item.notificationId === q.notificationId) candidates.push({ item, start });
        }
      }
      candidates.sort((a, b) => a.item.time.localeCompare(b.item.time));
      // A channel with entries left over resumes at the first one not returned.
      for (const { item, start } of candidates.slice(q.limit)) next[item.channel] = Math.min(next[item.channel] ?? start, start);
      const cursor = (Object.entries(next) as Array<[Channel, number]>).map(([c, o]) => `${c}:${o}`).join(',');
      return { items: candidates.slice(0, q.limit).map((c) => c.item), next: cursor };
    },
  };
}

export type OutboxService = ReturnType<typeof createOutboxService>;
