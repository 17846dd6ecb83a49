// Fan-out: one notification -> one message per subscribed user per channel, streamed in
// keyset batches and resumable from the notification's cursor after a crash.
import type { Bus, HandlerResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { isExpired } from '../domain/window';
import type { Channel, Notification } from '../domain/types';
import { withIds, type Logger } from '../log/logger';
import type { NewMessage, Store } from '../store/store';
import { buildMessage, recipientMessages, templatesFor } from './build-message';
import { createSubscriberWalk } from './subscriber-walk';
import { NO_METERING, withCreditWarning, type Metering } from '../services/credits';
import { groupCommit, type Outcome as Settled } from '../store/group-commit';

export interface DispatcherDeps {
  store: Store;
  bus: Bus;
  config: Pick<HeraldConfig, 'dispatch' | 'sms'>;
  logger: Logger;
  /** Reserves each message's cost at creation; absent: nothing is metered. */
  metering?: Metering;
  now?: () => Date;
}

export { buildMessage, messageId } from './build-message';

export function createDispatcher(deps: DispatcherDeps) {
  const { store, bus, logger } = deps;
  const metering = deps.metering ?? NO_METERING;
  const now = deps.now ?? (() => new Date());
  const walk = createSubscriberWalk(store);

  /**
   * Sendable messages are stored `queued` (history: accepted, then queued, at the same time) and published
   * right after: one write for the batch instead of an insert and an update. A publish that never happens
   * (the process died, the broker refused) leaves the delivery of this notification unacked, so the fan-out
   * runs again from its cursor and publishes the batch again; the worker claims only from `queued`.
   */
  function asQueued(msgs: NewMessage[], at: Date): NewMessage[] {
    return msgs.map((m) =>
      m.status === 'accepted' ? { ...m, status: 'queued', statusHistory: [...m.statusHistory, { status: 'queued', at }] } : m,
    );
  }

  /**
   * Publishes queued messages, several ids per queue message. The batches of fan-outs running together
   * (a stream of small notifications: 5 messages each) share their queue messages: one publish, confirm,
   * delivery and ack, and one claim by the worker, for up to messagesPerDelivery ids of several
   * notifications. A fan-out's batch is published once every queue message holding one of its ids is confirmed.
   */
  const publishGrouped = groupCommit(
    async (batches: NewMessage[][]): Promise<Array<Settled<void>>> => {
      const per = deps.config.dispatch.messagesPerDelivery;
      const deliveries: Array<{ channel: Channel; ids: string[]; from: Set<number> }> = [];
      for (const channel of ['sms', 'email'] as const) {
        let open: { channel: Channel; ids: string[]; from: Set<number> } | undefined;
        batches.forEach((msgs, b) => {
          for (const m of msgs) {
            if (m.status !== 'queued' || m.channel !== channel) continue;
            if (!open || open.ids.length >= per) deliveries.push((open = { channel, ids: [], from: new Set() }));
            open.ids.push(m.id);
            open.from.add(b);
          }
        });
      }
      const results = await Promise.allSettled(
        deliveries.map((d) => bus.publish(d.channel, { messageIds: d.ids }, { messageId: `${d.ids[0]}+${d.ids.length}` })),
      );
      return batches.map((_, b) => {
        const failed = results.find((r, i): r is PromiseRejectedResult => r.status === 'rejected' && deliveries[i].from.has(b));
        return failed ? { ok: false, error: failed.reason } : { ok: true, value: undefined };
      });
    },
    { maxBatch: 64, maxInFlight: 4 },
  );

  async function fanOut(n: Notification, log: Logger, since: number): Promise<HandlerResult> {
    const ws = n.workspaceId;
    const [program, eventType] = await Promise.all([store.programs.get(ws, n.programId), store.eventTypes.get(ws, n.programId, n.eventTypeId)]);
    if (!program || !eventType) {
      await store.notifications.transition(n.id, ['accepted', 'dispatching'], 'cancelled', {
        warnings: [...(n.warnings ?? []), 'program or event type deleted before dispatch'],
      });
      log.warn('program or event type no longer exists; notification cancelled');
      return { action: 'ack' };
    }
    let cursor = n.dispatch.cursor;
    let total = n.dispatch.messages;
    let warnings = n.warnings;
    /** Meters, stores and queues one batch; resolves the notification as it stands after. */
    const write = async (built: NewMessage[], at: Date, last = false): Promise<Notification | null> => {
      const { messages: admitted, rejected } = await metering.admit(n, built, at);
      if (rejected) log.warn('balance could not cover every message; those are rejected', { rejected });
      warnings = withCreditWarning(warnings, rejected);
      const msgs = asQueued(admitted, at);
      const inserted = await store.messages.insertMany(msgs);
      if (msgs.some((m) => m.status === 'queued')) await publishGrouped(msgs);
      total += inserted.length;
      // The walk's last batch: the `dispatched` transition records the cursor (and sees a cancel) in the same write.
      if (last) return null;
      return store.notifications.update(n.id, { dispatch: { ...n.dispatch, cursor, messages: total }, ...(rejected ? { warnings } : {}) });
    };
    // A matched skip rule: nothing is sent to anyone.
    const skip = n.rules?.skip === true;
    // Recipients first (a few thousand at most), before any subscriber moves the cursor; their ids
    // are deterministic, so a fan-out resumed before the cursor moved finds them already stored.
    if (!skip && cursor === undefined && n.recipients?.length) {
      const all = recipientMessages(n, program, eventType, deps.config, now());
      for (let i = 0; i < all.length; i += deps.config.dispatch.batchSize) {
        const current = await write(all.slice(i, i + deps.config.dispatch.batchSize), now());
        if (current?.status === 'cancelled') return { action: 'ack' };
      }
      log.debug('recipients queued', { recipients: n.recipients.length, messages: all.length });
    }
    const templates = templatesFor(eventType, n.rules?.template);
    // One walk per fan-out (its first page shared with fan-outs starting together); leaving the loop early closes it.
    const batches = skip || n.subscribers === false ? [] : walk.batches(ws, n.programId, n.eventTypeId, cursor, deps.config.dispatch.batchSize, since);
    for await (const subs of batches) {
      const at = now();
      const built = subs.flatMap((s) => s.channels.map((ch) => buildMessage(n, program, eventType, s, ch, deps.config, at, { templates })));
      cursor = subs[subs.length - 1].user.id;
      // A short batch is the last one (the walk yields full batches before it).
      const last = subs.length < deps.config.dispatch.batchSize;
      const current = await write(built, at, last);
      log.debug('fan-out batch queued', { users: subs.length, messages: built.length, cursor });
      if (last) break;
      if (current?.status === 'cancelled') {
        log.info('notification cancelled during fan-out; stopping');
        return { action: 'ack' };
      }
      if (isExpired(n.validUntil, now())) break;
    }
    const done = await store.notifications.transition(n.id, ['dispatching'], 'dispatched', {
      dispatch: { ...n.dispatch, cursor, messages: total, finishedAt: now() },
      ...(warnings !== n.warnings ? { warnings } : {}),
    });
    // One line for a small notification's whole fan-out (started and done are ms apart): its duration is in it.
    const ms = done?.dispatch.finishedAt && n.dispatch.startedAt ? done.dispatch.finishedAt.getTime() - n.dispatch.startedAt.getTime() : undefined;
    if (done) log.info('notification dispatched', { messages: total, ms });
    else log.info('notification cancelled during fan-out; stopping');
    return { action: 'ack' };
  }

  /** What a dispatch delivery came to, with the notification as last read (absent when it does not exist). */
  type Outcome = { result: HandlerResult; notification?: Notification };
  const acked = (notification: Notification): Outcome => ({ result: { action: 'ack' }, notification });

  async function expire(n: Notification, from: Notification['status'][], log: Logger): Promise<Outcome> {
    await store.notifications.transition(n.id, from, 'expired');
    log.warn('window closed before dispatch; notification expired');
    return acked(n);
  }

  async function run(body: unknown): Promise<Outcome> {
    const id = (body as { notificationId?: unknown } | null)?.notificationId;
    if (typeof id !== 'string' || id === '') return { result: { action: 'dead', reason: 'body has no notificationId' } };
    const since = walk.mark();
    // The common case, a notification accepted and never started (its dispatch is still { messages: 0 }): one
    // compare-and-set takes it, without reading it first. Anything else (scheduled, resumed, gone) is read below.
    const fresh = await store.notifications.transition(id, ['accepted'], 'dispatching', { dispatch: { messages: 0, startedAt: now() } });
    if (fresh) {
      const log = withIds(logger, { notificationId: id, workspaceId: fresh.workspaceId });
      if (isExpired(fresh.validUntil, now())) return expire(fresh, ['dispatching'], log);
      return { result: await fanOut(fresh, log, since), notification: fresh };
    }
    const n = await store.notifications.get(id);
    if (!n) return { result: { action: 'dead', reason: `notification '${id}' does not exist` } };
    const log = withIds(logger, { notificationId: id, workspaceId: n.workspaceId });
    if (n.status === 'scheduled' && n.startTime > now()) return acked(n);
    if (!['scheduled', 'accepted', 'dispatching'].includes(n.status)) return acked(n);
    if (isExpired(n.validUntil, now())) return expire(n, ['scheduled', 'accepted', 'dispatching'], log);
    const started = await store.notifications.transition(id, ['scheduled', 'accepted', 'dispatching'], 'dispatching', {
      dispatch: { ...n.dispatch, startedAt: n.dispatch.startedAt ?? now() },
    });
    if (!started) return acked(n);
    log.info('fan-out started', { resumeAfter: started.dispatch.cursor });
    return { result: await fanOut(started, log, since), notification: started };
  }

  return {
    /** Handles a dispatch delivery, telling also the notification (for what follows a dispatch, without reading it again). */
    run,
    async handle(body: unknown): Promise<HandlerResult> {
      return (await run(body)).result;
    },
  };
}
