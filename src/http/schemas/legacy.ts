// The original system's body, kept working: POST / with MM/DD/YYYY HH:mm times and snake_case ids.
import type { HeraldConfig } from '../../config';
import type { FieldIssue } from '../../domain/errors';
import { parseLegacyTime } from '../../domain/time';
import { DEFAULT_WORKSPACE, type NotificationSource } from '../../domain/types';
import type { NotificationRequest } from '../../services/notification-service';
import { idSchema } from './common';
import { z } from './zod';

const LEGACY_TIME_RULE = 'must be MM/DD/YYYY HH:mm, e.g. 08/27/2019 21:04';
/** Month 01-12, day 01-31, hour 00-23, minute 00-59; a day the month does not have is refused later with 422. */
const legacyTime = z.string().regex(/^[ \t]*(0[1-9]|1[0-2])\/(0[1-9]|[12][0-9]|3[01])\/[0-9]{4} ([01][0-9]|2[0-3]):[0-5][0-9][ \t]*$/, LEGACY_TIME_RULE);

/** Any other top-level field is event data (as it was in the original system). */
export const legacyBodySchema = z
  .object({
    start_time: legacyTime.openapi({ example: '08/27/2019 21:04' }),
    // The original clients sent null or "" for an open window.
    end_time: z.union([legacyTime, z.literal('')]).nullable().optional().openapi({ example: '08/27/2019 22:04' }),
    program_id: idSchema,
    event_type_id: idSchema,
    data: z.record(z.unknown()).optional(),
  })
  .passthrough()
  .openapi('LegacyNotification', {
    description: 'times are wall times in the configured legacy zone; other fields become the event data',
    example: { start_time: '08/27/2019 21:04', end_time: '08/27/2019 22:04', program_id: 1, event_type_id: '1' },
  });

export { LEGACY_TIME_RULE };

/** The service speaks camelCase; a legacy producer should read the names it sent. */
const LEGACY_FIELDS: Record<string, string> = {
  startTime: 'start_time',
  endTime: 'end_time',
  programId: 'program_id',
  eventTypeId: 'event_type_id',
};
const V1_NAMES = new RegExp(`\\b(${Object.keys(LEGACY_FIELDS).join('|')})\\b`, 'g');

/** Field names (and the names inside reasons) as the original body spells them. */
export function inLegacyNames(issues: FieldIssue[]): FieldIssue[] {
  return issues.map((i) => ({ field: LEGACY_FIELDS[i.field] ?? i.field, reason: i.reason.replace(V1_NAMES, (n) => LEGACY_FIELDS[n]) }));
}

export type LegacyBody = z.infer<typeof legacyBodySchema>;
const KNOWN = new Set(['start_time', 'end_time', 'program_id', 'event_type_id', 'data']);

/** One reading of the legacy body for every door (POST / and RabbitMQ): times in the legacy zone, extra fields as data. */
export function legacyRequest(
  body: LegacyBody,
  cfg: Pick<HeraldConfig, 'legacyTimezone' | 'legacyPastWindow'>,
  source: NotificationSource,
  workspaceId: string = DEFAULT_WORKSPACE,
): { ok: true; request: NotificationRequest } | { ok: false; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const startTime = parseLegacyTime(body.start_time, cfg.legacyTimezone);
  if (!startTime) issues.push({ field: 'start_time', reason: 'must name a date and time that exist (the month has no such day)' });
  const endText = body.end_time || undefined;
  const endTime = endText === undefined ? undefined : parseLegacyTime(endText, cfg.legacyTimezone);
  if (endTime === null) issues.push({ field: 'end_time', reason: 'must name a date and time that exist (the month has no such day)' });
  if (issues.length || !startTime || endTime === null) return { ok: false, issues };
  const extra = Object.fromEntries(Object.entries(body).filter(([k]) => !KNOWN.has(k)));
  return {
    ok: true,
    request: {
      workspaceId,
      programId: body.program_id,
      eventTypeId: body.event_type_id,
      startTime,
      endTime,
      data: { ...extra, ...(body.data ?? {}) },
      source,
      reanchorPastWindow: cfg.legacyPastWindow === 'reanchor',
    },
  };
}
