// RabbitMQ intake: other backends publish the same event JSON as the HTTP API (either the
// /v1 body or the original system's body) to the events exchange. Bad events are dead-lettered
// with the reason; a store outage is retried; nothing blocks the queue.
import { z } from 'zod';
import type { HandlerResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { HeraldError, type FieldIssue } from '../domain/errors';
import { parseIsoTime, parseLegacyTime } from '../domain/time';
import type { Logger } from '../log/logger';
import type { NotificationRequest, NotificationService } from '../services/notification-service';

const id = z.union([z.string().min(1), z.number().int()]).transform(String);
const data = z.record(z.unknown()).optional();

const v1Event = z.object({
  programId: id,
  eventTypeId: id,
  startTime: z.string(),
  endTime: z.string().optional(),
  data,
  idempotencyKey: z.string().min(1).max(200).optional(),
});

const legacyEvent = z
  .object({ program_id: id, event_type_id: id, start_time: z.string(), end_time: z.string().optional(), data })
  .passthrough();

type Parsed = { ok: true; request: NotificationRequest } | { ok: false; issues: FieldIssue[] };

function issuesOf(err: z.ZodError): FieldIssue[] {
  return err.issues.map((i) => ({ field: i.path.join('.') || '(body)', reason: i.message }));
}

/** Accepts either event shape; times are ISO 8601 in the /v1 shape and MM/DD/YYYY HH:mm in the legacy one. */
export function parseEvent(body: unknown, cfg: Pick<HeraldConfig, 'legacyTimezone' | 'legacyPastWindow'>): Parsed {
  if (body !== null && typeof body === 'object' && 'program_id' in body) {
    const r = legacyEvent.safeParse(body);
    if (!r.success) return { ok: false, issues: issuesOf(r.error) };
    const { program_id, event_type_id, start_time, end_time, data: d, ...rest } = r.data;
    const start = parseLegacyTime(start_time, cfg.legacyTimezone);
    const end = end_time === undefined ? undefined : parseLegacyTime(end_time, cfg.legacyTimezone);
    const issues: FieldIssue[] = [];
    if (!start) issues.push({ field: 'start_time', reason: 'must be MM/DD/YYYY HH:mm' });
    if (end === null) issues.push({ field: 'end_time', reason: 'must be MM/DD/YYYY HH:mm' });
    if (issues.length || !start) return { ok: false, issues };
    return {
      ok: true,
      request: {
        programId: program_id,
        eventTypeId: event_type_id,
        startTime: start,
        endTime: end ?? undefined,
        data: { ...rest, ...(d ?? {}) },
        source: 'amqp',
        reanchorPastWindow: cfg.legacyPastWindow === 'reanchor',
      },
    };
  }
  const r = v1Event.strict().safeParse(body);
  if (!r.success) return { ok: false, issues: issuesOf(r.error) };
  const start = parseIsoTime(r.data.startTime);
  const end = r.data.endTime === undefined ? undefined : parseIsoTime(r.data.endTime);
  const issues: FieldIssue[] = [];
  if (!start) issues.push({ field: 'startTime', reason: 'must be an ISO 8601 time' });
  if (end === null) issues.push({ field: 'endTime', reason: 'must be an ISO 8601 time' });
  if (issues.length || !start) return { ok: false, issues };
  return {
    ok: true,
    request: {
      programId: r.data.programId,
      eventTypeId: r.data.eventTypeId,
      startTime: start,
      endTime: end ?? undefined,
      data: r.data.data ?? {},
      source: 'amqp',
      idempotencyKey: r.data.idempotencyKey,
    },
  };
}

const describe = (issues: FieldIssue[]) => issues.map((i) => `${i.field}: ${i.reason}`).join('; ');

export function createIntake(deps: { notifications: NotificationService; config: Pick<HeraldConfig, 'legacyTimezone' | 'legacyPastWindow'>; logger: Logger }) {
  return {
    async handle(body: unknown): Promise<HandlerResult> {
      const parsed = parseEvent(body, deps.config);
      if (!parsed.ok) {
        deps.logger.warn('event from the bus rejected', { issues: parsed.issues });
        return { action: 'dead', reason: `invalid event: ${describe(parsed.issues)}` };
      }
      try {
        const n = await deps.notifications.accept(parsed.request);
        deps.logger.info('event from the bus accepted', { notificationId: n.id });
        return { action: 'ack' };
      } catch (e) {
        if (e instanceof HeraldError && ['NOT_FOUND', 'UNPROCESSABLE', 'VALIDATION_FAILED'].includes(e.code)) {
          return { action: 'dead', reason: `${e.code}: ${e.message}${e.issues.length ? ` (${describe(e.issues)})` : ''}` };
        }
        deps.logger.warn('event from the bus not stored yet; will retry', { error: (e as Error).message });
        return { action: 'retry', delayMs: 5_000, reason: (e as Error).message };
      }
    },
  };
}
