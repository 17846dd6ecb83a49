// The notification use cases: store first (durable), then queue; the scheduler's relay
// republishes whatever was stored but not confirmed on the bus.
import { randomUUID } from 'node:crypto';
import type { Bus } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { NotFoundError, UnprocessableError, type FieldIssue } from '../domain/errors';
import { DEFAULT_WORKSPACE, type Message, type MessageStatus, type Notification } from '../domain/types';
import { closeWindow, resolveWindow } from '../domain/window';
import { planAudience } from '../domain/audience';
import { logNotification, withIds, type Logger } from '../log/logger';
import type { Store } from '../store/store';
import { groupCommit, type Outcome } from '../store/group-commit';
import { ANONYMOUS_SCOPE, createIdempotency } from './idempotency';
import { NO_METERING, type Metering } from './credits';
import type { NotificationRequest, NotificationService, NotificationSummary } from './notification-service';

export interface NotificationServiceDeps {
  store: Store;
  bus: Bus;
  config: Pick<HeraldConfig, 'validityHours'> & Partial<Pick<HeraldConfig, 'idempotencyHours' | 'phone'>>;
  logger: Logger;
  /** Refunds the messages a cancel ends. */
  metering?: Metering;
  now?: () => Date;
  /** An Idempotency-Key claim in progress longer than this is taken over (its request died). */
  idempotencyStaleMs?: number;
}

/** Most notifications in one dispatch queue message. */
const DISPATCH_GROUP = 16;

/** Statuses a message can still be cancelled from: not yet handed to a provider. */
const CANCELLABLE: MessageStatus[] = ['accepted', 'scheduled', 'queued'];

export function createNotificationService(deps: NotificationServiceDeps): NotificationService {
  const { store, bus, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const idempotency = createIdempotency({
    store,
    config: { idempotencyHours: deps.config.idempotencyHours ?? 24 },
    now,
    staleAfterMs: deps.idempotencyStaleMs,
  });

  /**
   * The dispatch publishes of notifications accepted together share one queue message (`{notificationIds}`, at
   * most DISPATCH_GROUP; one alone keeps `{notificationId}`): one publish, confirm, delivery and ack for them.
   */
  const publishDispatch = groupCommit(
    async (ids: string[]): Promise<Array<Outcome<void>>> => {
      const body = ids.length === 1 ? { notificationId: ids[0] } : { notificationIds: ids };
      await bus.publish('dispatch', body, { messageId: ids.length === 1 ? ids[0] : `${ids[0]}+${ids.length}` });
      return ids.map(() => ({ ok: true, value: undefined }));
    },
    { maxBatch: DISPATCH_GROUP, maxInFlight: 4 },
  );

  async function summary(n: Notification): Promise<NotificationSummary> {
    const counts = await store.messages.countByStatus(n.id);
    const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    return { ...n, counts, total };
  }

  /** Ids are global, so the workspace is checked here: another workspace's notification is not found. */
  async function getIn(ws: string, id: string): Promise<Notification | null> {
    const n = await store.notifications.get(id);
    return n && n.workspaceId === ws ? n : null;
  }

  async function mustGet(ws: string, id: string): Promise<Notification> {
    const n = await getIn(ws, id);
    if (!n) throw new NotFoundError('notification', id);
    return n;
  }

  async function acceptNew(req: NotificationRequest, id: string): Promise<Notification> {
    const [program, eventType] = await Promise.all([
      store.programs.get(req.workspaceId, req.programId),
      store.eventTypes.get(req.workspaceId, req.programId, req.eventTypeId),
    ]);
    // Unknown ids in a body are 422 naming the field (404 is for the id in the path).
    const missing: FieldIssue[] = [];
    // Checked only on this failure path: an AMQP event can name any workspace.
    if (!program && req.workspaceId !== DEFAULT_WORKSPACE && !(await store.workspaces.get(req.workspaceId))) {
      missing.push({ field: 'workspaceId', reason: `workspace '${req.workspaceId}' does not exist` });
    } else if (!program) missing.push({ field: 'programId', reason: `program '${req.programId}' does not exist` });
    else if (!eventType) missing.push({ field: 'eventTypeId', reason: `event type '${req.eventTypeId}' does not exist in program '${req.programId}'` });
    if (missing.length) throw new UnprocessableError(missing, 'the notification refers to records that do not exist');
    const at = now();
    const w = resolveWindow({
      startTime: req.startTime,
      endTime: req.endTime,
      now: at,
      validityHours: deps.config.validityHours,
      reanchorPastWindow: req.reanchorPastWindow,
    });
    if (!w.ok) throw new UnprocessableError(w.issues, 'the time window cannot be used');
    // Recipients besides the subscribers, and what the event type's rules decide, fixed at acceptance.
    const plan = planAudience({ eventType: eventType!, data: req.data, requested: req.recipients, region: deps.config.phone?.defaultRegion });
    if (plan.issues.length) throw new UnprocessableError(plan.issues, 'a recipient cannot be used');
    const warnings = [...w.warnings, ...plan.warnings];
    const onlyRecipients = req.subscribers === false;
    if (onlyRecipients && plan.recipients.length === 0) warnings.push('subscribers: false and no recipients: nothing is sent');
    const created = await store.notifications.create({
      id,
      workspaceId: req.workspaceId,
      programId: req.programId,
      eventTypeId: req.eventTypeId,
      startTime: w.startTime,
      endTime: w.endTime,
      ...(w.requested ? { requestedWindow: w.requested } : {}),
      validUntil: w.validUntil,
      data: req.data,
      status: w.due ? 'accepted' : 'scheduled',
      source: req.source,
      idempotencyKey: req.idempotencyKey,
      warnings: warnings.length ? warnings : undefined,
      ...(plan.recipients.length ? { recipients: plan.recipients } : {}),
      ...(onlyRecipients ? { subscribers: false } : {}),
      ...(plan.rules ? { rules: plan.rules } : {}),
      dispatch: { messages: 0 },
    });
    // The ids as withIds would add them, without a child logger or winston's pipeline per request.
    const ids = { workspaceId: created.workspaceId, notificationId: created.id };
    logNotification(logger, 'info', ids, 'notification accepted', {
      source: req.source,
      programId: req.programId,
      eventTypeId: req.eventTypeId,
      status: created.status,
      validUntil: created.validUntil.toISOString(),
      warnings: created.warnings,
      recipients: created.recipients?.length,
      matchedRules: created.rules?.matched,
    });
    if (w.due) {
      // Stored is what counts: the 202 does not wait for the broker's confirm. If this publish fails,
      // or the process dies before it is confirmed, the relay republishes the stored notification.
      void publishDispatch(created.id).catch((e: unknown) => {
        logger.warn('dispatch not queued yet; the relay will retry', { ...ids, error: (e as Error).message });
      });
    }
    return created;
  }

  return {
    async accept(req: NotificationRequest): Promise<Notification> {
      if (!req.idempotencyKey) return acceptNew(req, randomUUID());
      const { programId, eventTypeId, startTime, endTime, data, reanchorPastWindow, recipients, subscribers } = req;
      const client = req.clientId || (req.source === 'amqp' ? 'amqp' : ANONYMOUS_SCOPE);
      // Keys are per workspace and client; the default workspace keeps the scopes it had before workspaces.
      const scope = req.workspaceId === DEFAULT_WORKSPACE ? client : `${req.workspaceId}:${client}`;
      return idempotency.run(
        {
          scope,
          key: req.idempotencyKey,
          // No recipients and an empty list, subscribers true and absent, are the same request (and hash as before they existed).
          body: { programId, eventTypeId, startTime, endTime, data, reanchorPastWindow, recipients: recipients?.length ? recipients : undefined, subscribers: subscribers === false ? false : undefined },
        },
        (id) => acceptNew(req, id),
      );
    },

    async get(ws, id) {
      const n = await getIn(ws, id);
      return n ? summary(n) : null;
    },

    list(ws, filter, q) {
      return store.notifications.list({ ...filter, workspaceId: ws }, q);
    },

    async messages(ws, id, filter, q) {
      await mustGet(ws, id);
      return store.messages.list(id, filter, q);
    },

    async close(ws, id, endTime) {
      const n = await mustGet(ws, id);
      if (n.status === 'cancelled' || n.status === 'expired') {
        throw new UnprocessableError([{ field: 'endTime', reason: `notification is already ${n.status}` }]);
      }
      const c = closeWindow({ startTime: n.startTime, validUntil: n.validUntil }, endTime, now());
      if (!c.ok) throw new UnprocessableError(c.issues, 'the window cannot be closed there');
      const updated = await store.notifications.update(id, { endTime, validUntil: c.validUntil });
      if (!updated) throw new NotFoundError('notification', id);
      withIds(logger, { notificationId: id, workspaceId: ws }).info('window closed', { endTime: endTime.toISOString() });
      return updated;
    },

    async cancel(ws, id) {
      const n = await mustGet(ws, id);
      const log = withIds(logger, { notificationId: id, workspaceId: ws });
      const after = await store.notifications.transition(id, ['scheduled', 'accepted', 'dispatching', 'dispatched'], 'cancelled');
      if (!after && n.status !== 'cancelled') {
        throw new UnprocessableError([{ field: 'id', reason: `notification is already ${n.status}` }]);
      }
      let cancelled = 0;
      for (;;) {
        const batch = await store.messages.findByNotification(id, CANCELLABLE, 500);
        if (batch.length === 0) break;
        const ended: Message[] = [];
        for (const m of batch) {
          const r = await store.messages.transition(m.id, CANCELLABLE, 'cancelled', { reason: 'notification cancelled' });
          if (r) ended.push(r);
        }
        await (deps.metering ?? NO_METERING).settle(ended);
        const moved = ended.length;
        cancelled += moved;
        if (moved === 0) break;
      }
      log.info('notification cancelled', { messagesCancelled: cancelled });
      return summary(after ?? n);
    },
  };
}
