// The message right after a compare-and-set transition, built from the caller's own copy of it
// (`opts.expected`) instead of read back: the store knows the write matched, and what it wrote.
import type { Message, MessageStatus, StatusChange } from '../domain/types';
import { ABSENT, MESSAGE_FIELDS, messageRecord } from './message-record';

/** Whether the caller's copy can stand for the stored message: same id, in one of the statuses the change moves from. */
export function usableExpected(id: string, from: MessageStatus[], expected: Message | undefined): expected is Message {
  return expected !== undefined && expected.id === id && from.includes(expected.status);
}

/**
 * `before` with the transition applied as the store applied it: the fields set (status, patch,
 * updatedAt), the fields removed, the attempts counted, and the history entry appended. Built in one
 * pass without `delete` and by named stores (message-record.ts): a fast object, not a dictionary, for
 * every listener reading it; `skip` is a set field that is the store's own, not the record's.
 */
export function afterTransition(before: Message, set: Record<string, unknown>, unset: readonly string[], inc: number, change: StatusChange, skip?: string): Message {
  const src = before as unknown as Record<string, unknown>;
  const removed = (k: string): boolean => unset.length > 0 && unset.includes(k);
  /** A field set by the write wins; one the write removed, or neither had, is left out. */
  const value = (k: string): unknown => {
    if (removed(k)) return ABSENT;
    const v = k === skip ? undefined : set[k];
    if (v !== undefined) return v;
    return k in src ? src[k] : ABSENT;
  };
  return messageRecord(
    (k) => {
      if (k === 'attempts') return (before.attempts ?? 0) + inc;
      if (k !== 'statusHistory') return value(k);
      const history = before.statusHistory ?? [];
      const h = new Array<StatusChange>(history.length + 1);
      for (let i = 0; i < history.length; i++) h[i] = history[i];
      h[history.length] = change;
      return h;
    },
    (out) => {
      // Fields a Message does not declare: kept as they were (after the declared ones).
      for (const k in src) if (!MESSAGE_FIELDS.has(k) && !removed(k)) out[k] = value(k);
      for (const k in set) if (!MESSAGE_FIELDS.has(k) && !(k in out) && k !== skip && set[k] !== undefined && !removed(k)) out[k] = set[k];
    },
  );
}
