// RabbitMQ intake: other backends publish the same event JSON as the HTTP API (either the
// /v1 body or the original system's body) to the events exchange. Bad events are dead-lettered
// with the reason; a store outage is retried; nothing blocks the queue.
import type { HandlerResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { HeraldError, type FieldIssue } from '../domain/errors';
import { DEFAULT_WORKSPACE } from '../domain/types';
import { zodIssues } from '../http/errors';
import { inLegacyNames, legacyBodySchema, legacyRequest } from '../http/schemas/legacy';
import { notificationCreateSchema } from '../http/schemas/notifications';
import { idText } from '../http/schemas/common';
import { z } from '../http/schemas/zod';
import type { Logger } from '../log/logger';
import type { NotificationRequest, NotificationService } from '../services/notification-service';

// The HTTP doors' own schemas, so both transports accept exactly the same bodies.
const v1Event = notificationCreateSchema.extend({ idempotencyKey: z.string().min(1).max(200).optional() });
// An event may name its workspace (either shape); without one it belongs to the default workspace.
const workspaceField = z.object({ workspaceId: idText.optional() });

/** `legacy`: the body came in the original system's format, so its reasons name its snake_case fields. */
type Parsed = { ok: true; request: NotificationRequest; legacy: boolean } | { ok: false; issues: FieldIssue[] };

const isLegacyBody = (body: unknown): boolean => body !== null && typeof body === 'object' && 'program_id' in body;

/** Accepts either event shape: the /v1 body (ISO 8601 times) or the original system's (MM/DD/YYYY HH:mm). */
export function parseEvent(input: unknown, cfg: Pick<HeraldConfig, 'legacyTimezone' | 'legacyPastWindow'>): Parsed {
  const isObject = input !== null && typeof input === 'object' && !Array.isArray(input);
  const { workspaceId: named, ...body } = isObject ? (input as Record<string, unknown>) : { workspaceId: undefined };
  const ws = workspaceField.safeParse({ workspaceId: named });
  if (!ws.success) return { ok: false, issues: zodIssues(ws.error) };
  const workspaceId = ws.data.workspaceId ?? DEFAULT_WORKSPACE;
  if ('program_id' in body) {
    const r = legacyBodySchema.safeParse(body);
    if (!r.success) return { ok: false, issues: zodIssues(r.error) };
    const parsed = legacyRequest(r.data, cfg, 'amqp', workspaceId);
    return parsed.ok ? { ...parsed, legacy: true } : parsed;
  }
  const r = v1Event.safeParse(isObject ? body : input);
  if (!r.success) return { ok: false, issues: zodIssues(r.error) };
  const { idempotencyKey, data, ...rest } = r.data;
  return { ok: true, legacy: false, request: { ...rest, workspaceId, data: data ?? {}, source: 'amqp', ...(idempotencyKey ? { idempotencyKey } : {}) } };
}

const describe = (issues: FieldIssue[]) => issues.map((i) => `${i.field}: ${i.reason}`).join('; ');

export function createIntake(deps: { notifications: NotificationService; config: Pick<HeraldConfig, 'legacyTimezone' | 'legacyPastWindow'>; logger: Logger }) {
  return {
    /** `headers`: the delivery's; an `x-client-id` (or `app_id`) names the producer, the scope of its idempotencyKeys. */
    async handle(body: unknown, headers: Record<string, unknown> = {}): Promise<HandlerResult> {
      const parsed = parseEvent(body, deps.config);
      if (!parsed.ok) {
        deps.logger.warn('event from the bus rejected', { issues: parsed.issues });
        return { action: 'dead', reason: `invalid event: ${describe(parsed.issues)}` };
      }
      const clientId = [headers['x-client-id'], headers['app_id']].find((v): v is string => typeof v === 'string' && v !== '');
      try {
        // A redelivered event with a key already done is answered from the key: acked, not stored twice.
        const n = await deps.notifications.accept(clientId ? { ...parsed.request, clientId } : parsed.request);
        deps.logger.info('event from the bus accepted', { notificationId: n.id, workspaceId: n.workspaceId });
        return { action: 'ack' };
      } catch (e) {
        if (e instanceof HeraldError && ['NOT_FOUND', 'UNPROCESSABLE', 'VALIDATION_FAILED'].includes(e.code)) {
          const issues = parsed.legacy ? inLegacyNames(e.issues) : e.issues;
          return { action: 'dead', reason: `${e.code}: ${e.message}${issues.length ? ` (${describe(issues)})` : ''}` };
        }
        deps.logger.warn('event from the bus not stored yet; will retry', { error: (e as Error).message });
        return { action: 'retry', delayMs: 5_000, reason: (e as Error).message };
      }
    },
  };
}
