// Time-window rules: when a notification is due, until when its messages may be sent.
import type { FieldIssue } from './errors';
import { isValidDate } from './time';
import type { RequestedWindow } from './types';

const HOUR_MS = 3_600_000;

export interface WindowInput {
  startTime: Date;
  /** Absent: an open window, valid for `validityHours` from its start (or from now if later). */
  endTime?: Date;
  now: Date;
  validityHours: number;
  /** Legacy intake: a closed window that already ended is dispatched now instead of refused. */
  reanchorPastWindow?: boolean;
}

export type ResolvedWindow =
  | { ok: true; startTime: Date; endTime?: Date; validUntil: Date; due: boolean; warnings: string[]; requested?: RequestedWindow }
  | { ok: false; issues: FieldIssue[] };

export type ClosedWindow = { ok: true; validUntil: Date } | { ok: false; issues: FieldIssue[] };

const addHours = (d: Date, hours: number): Date => new Date(d.getTime() + hours * HOUR_MS);
const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b);

/**
 * Decides a notification's window. Issues (field `startTime` / `endTime`): an invalid date,
 * an end not after the start, a closed window already over. With `reanchorPastWindow`, a window
 * that is already over becomes an open window from now (the end is dropped, `validUntil` is
 * now + validityHours, a warning and `requested` record the original window).
 */
export function resolveWindow(input: WindowInput): ResolvedWindow {
  const { startTime, endTime, now, validityHours } = input;
  if (!(validityHours > 0)) throw new RangeError(`validityHours must be positive, got ${validityHours}`);
  const issues: FieldIssue[] = [];
  if (!isValidDate(startTime)) issues.push({ field: 'startTime', reason: 'is not a valid date' });
  if (endTime !== undefined && !isValidDate(endTime)) issues.push({ field: 'endTime', reason: 'is not a valid date' });
  if (issues.length) return { ok: false, issues };

  const due = startTime.getTime() <= now.getTime();
  if (endTime === undefined) {
    return { ok: true, startTime, validUntil: addHours(later(startTime, now), validityHours), due, warnings: [] };
  }
  if (endTime.getTime() <= startTime.getTime()) {
    return { ok: false, issues: [{ field: 'endTime', reason: 'must be after startTime' }] };
  }
  if (endTime.getTime() > now.getTime()) {
    return { ok: true, startTime, endTime, validUntil: endTime, due, warnings: [] };
  }
  if (!input.reanchorPastWindow) {
    return { ok: false, issues: [{ field: 'endTime', reason: `window already closed at ${endTime.toISOString()}` }] };
  }
  const validUntil = addHours(now, validityHours);
  const warning =
    `window ${startTime.toISOString()}..${endTime.toISOString()} had already closed when it arrived at ` +
    `${now.toISOString()}; dispatched now and valid for ${validityHours}h, until ${validUntil.toISOString()}`;
  return { ok: true, startTime, validUntil, due: true, warnings: [warning], requested: { startTime, endTime } };
}

/**
 * Closes an open window, or moves a closed window's end: the new `validUntil` is `endTime`.
 * Issues on `endTime`: not after the start, not in the future, or the notification has expired.
 */
export function closeWindow(n: { startTime: Date; validUntil: Date }, endTime: Date, now: Date): ClosedWindow {
  if (!isValidDate(endTime)) return { ok: false, issues: [{ field: 'endTime', reason: 'is not a valid date' }] };
  if (endTime.getTime() <= n.startTime.getTime()) {
    return { ok: false, issues: [{ field: 'endTime', reason: 'must be after startTime' }] };
  }
  if (endTime.getTime() <= now.getTime()) {
    return { ok: false, issues: [{ field: 'endTime', reason: `must be in the future (now is ${now.toISOString()})` }] };
  }
  // An expired notification's messages have ended as expired: reopening it would resend nothing.
  if (isExpired(n.validUntil, now)) {
    return { ok: false, issues: [{ field: 'endTime', reason: `window already closed at ${n.validUntil.toISOString()}` }] };
  }
  return { ok: true, validUntil: endTime };
}

/** `validUntil` is the last moment a message may be handed to a provider (types.ts): expired only after it. */
export function isExpired(validUntil: Date, now: Date): boolean {
  return now.getTime() > validUntil.getTime();
}
