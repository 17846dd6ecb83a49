// The message right after a compare-and-set transition, built from the caller's own copy of it
// (`opts.expected`) instead of read back: the store knows the write matched, and what it wrote.
import type { Message, MessageStatus, StatusChange } from '../domain/types';
import { messageShell } from './message-record';

/** Whether the caller's copy can stand for the stored message: same id, in one of the statuses the change moves from. */
export function usableExpected(id: string, from: MessageStatus[], expected: Message | undefined): expected is Message {
  return expected !== undefined && expected.id === id && from.includes(expected.status);
}

/** Whether every change's copy can stand for its message (a loop: a callback made per batch is compiled again after each full GC). */
export function allUsableExpected(changes: ReadonlyArray<{ id: string; from: MessageStatus[]; opts?: { expected?: Message } }>): boolean {
  for (let i = 0; i < changes.length; i++) if (!usableExpected(changes[i].id, changes[i].from, changes[i].opts?.expected)) return false;
  return true;
}

/**
 * `before` with the transition applied as the store applied it: the fields set (status, patch,
 * updatedAt), the fields removed, the attempts counted, and the history entry appended. Built in one
 * pass without `delete` (which would turn the copy into a slow dictionary object, twice the memory,
 * for every listener reading it), into a message shell (message-record.ts: a `{}` filled this way
 * becomes one too past ~19 fields); `skip` is a set field that is the store's own, not the record's.
 */
export function afterTransition(before: Message, set: Record<string, unknown>, unset: readonly string[], inc: number, change: StatusChange, skip?: string): Message {
  const out = messageShell();
  const src = before as unknown as Record<string, unknown>;
  for (const k in src) {
    if (unset.length > 0 && unset.includes(k)) continue;
    const v = set[k];
    out[k] = v !== undefined && k !== skip ? v : src[k];
  }
  for (const k in set) if (!(k in out) && k !== skip && set[k] !== undefined && !unset.includes(k)) out[k] = set[k];
  out.attempts = (before.attempts ?? 0) + inc;
  const history = before.statusHistory ?? [];
  const h = new Array<StatusChange>(history.length + 1);
  for (let i = 0; i < history.length; i++) h[i] = history[i];
  h[history.length] = change;
  out.statusHistory = h;
  return out as unknown as Message;
}
