// The original system's body, kept working: POST / with MM/DD/YYYY HH:mm times and snake_case ids.
import type { HeraldConfig } from '../../config';
import type { FieldIssue } from '../../domain/errors';
import { parseLegacyTime } from '../../domain/time';
import { DEFAULT_WORKSPACE, type NotificationSource } from '../../domain/types';
import type { NotificationRequest } from '../../services/notification-service';
import { idSchema } from './common';
import { z } from './zod';

const LEGACY_TIME_RULE = 'must be MM/DD/YYYY HH:mm, e.g. 08/27/2019 21:04';
const legacyTime = z.string().regex(/^\s*\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}\s*$/, LEGACY_TIME_RULE);

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
  if (!startTime) issues.push({ field: 'start_time', reason: `${LEGACY_TIME_RULE}, and name a real date and time` });
  const endText = body.end_time || undefined;
  const endTime = endText === undefined ? undefined : parseLegacyTime(endText, cfg.legacyTimezone);
  if (endTime === null) issues.push({ field: 'end_time', reason: `${LEGACY_TIME_RULE}, and name a real date and time` });
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
