// The message right after a compare-and-set transition, built from the caller's own copy of it
// (`opts.expected`) instead of read back: the store knows the write matched, and what it wrote.
import type { Message, MessageStatus, StatusChange } from '../domain/types';

/** Whether the caller's copy can stand for the stored message: same id, in one of the statuses the change moves from. */
export function usableExpected(id: string, from: MessageStatus[], expected: Message | undefined): expected is Message {
  return expected !== undefined && expected.id === id && from.includes(expected.status);
}

/**
 * `before` with the transition applied as the store applied it: the fields set (status, patch,
 * updatedAt), the fields removed, the attempts counted, and the history entry appended.
 */
export function afterTransition(before: Message, set: Record<string, unknown>, unset: readonly string[], inc: number, change: StatusChange): Message {
  const out: Record<string, unknown> = { ...before };
  for (const k in set) if (set[k] !== undefined) out[k] = set[k];
  for (const k of unset) delete out[k];
  out.attempts = (before.attempts ?? 0) + inc;
  out.statusHistory = [...(before.statusHistory ?? []), change];
  return out as unknown as Message;
}
