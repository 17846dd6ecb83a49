// Fan-out: one notification -> one message per subscribed user per channel, streamed in
// keyset batches and resumable from the notification's cursor after a crash.
import type { Bus, HandlerResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { isExpired } from '../domain/window';
import type { Channel, Notification } from '../domain/types';
import { withIds, type Logger } from '../log/logger';
import type { NewMessage, Store } from '../store/store';
import { buildMessage, recipientMessages, templatesFor } from './build-message';
import { NO_METERING, withCreditWarning, type Metering } from '../services/credits';

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

  /** Publishes the batch's sendable messages, then marks them queued (publish is confirmed first). */
  async function queueMessages(msgs: NewMessage[]): Promise<void> {
    const sendable = msgs.filter((m) => m.status === 'accepted');
    const per = deps.config.dispatch.messagesPerDelivery;
    const deliveries: Array<{ channel: Channel; ids: string[] }> = [];
    for (const channel of ['sms', 'email'] as const) {
      const ids = sendable.filter((m) => m.channel === channel).map((m) => m.id);
      for (let i = 0; i < ids.length; i += per) deliveries.push({ channel, ids: ids.slice(i, i + per) });
    }
    // Several ids per queue message: one publish, confirm and ack for the lot; the worker settles each id on its own.
    await Promise.all(deliveries.map((d) => bus.publish(d.channel, { messageIds: d.ids }, { messageId: `${d.ids[0]}+${d.ids.length}` })));
    // One round trip for the batch; a message the worker already took past `accepted` is left alone.
    await store.messages.transitionMany(sendable.map((m) => m.id), ['accepted'], 'queued');
  }

  async function fanOut(n: Notification, log: Logger): Promise<HandlerResult> {
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
    const write = async (built: NewMessage[], at: Date): Promise<Notification | null> => {
      const { messages: msgs, rejected } = await metering.admit(n, built, at);
      if (rejected) log.warn('balance could not cover every message; those are rejected', { rejected });
      warnings = withCreditWarning(warnings, rejected);
      const inserted = await store.messages.insertMany(msgs);
      await queueMessages(msgs);
      total += inserted.length;
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
    // One walk per fan-out (the server sorts once); leaving the loop early closes it.
    const batches = skip || n.subscribers === false ? [] : store.subscriptions.subscriberBatches(ws, n.programId, n.eventTypeId, cursor, deps.config.dispatch.batchSize);
    for await (const subs of batches) {
      const at = now();
      const built = subs.flatMap((s) => s.channels.map((ch) => buildMessage(n, program, eventType, s, ch, deps.config, at, { templates })));
      cursor = subs[subs.length - 1].user.id;
      const current = await write(built, at);
      log.debug('fan-out batch queued', { users: subs.length, messages: built.length, cursor });
      if (current?.status === 'cancelled') {
        log.info('notification cancelled during fan-out; stopping');
        return { action: 'ack' };
      }
      if (isExpired(n.validUntil, now())) break;
    }
    await store.notifications.transition(n.id, ['dispatching'], 'dispatched', {
      dispatch: { ...n.dispatch, cursor, messages: total, finishedAt: now() },
    });
    log.info('notification dispatched', { messages: total });
    return { action: 'ack' };
  }

  return {
    async handle(body: unknown): Promise<HandlerResult> {
      const id = (body as { notificationId?: unknown } | null)?.notificationId;
      if (typeof id !== 'string' || id === '') return { action: 'dead', reason: 'body has no notificationId' };
      const n = await store.notifications.get(id);
      if (!n) return { action: 'dead', reason: `notification '${id}' does not exist` };
      const log = withIds(logger, { notificationId: id, workspaceId: n.workspaceId });
      if (n.status === 'scheduled' && n.startTime > now()) return { action: 'ack' };
      if (!['scheduled', 'accepted', 'dispatching'].includes(n.status)) return { action: 'ack' };
      if (isExpired(n.validUntil, now())) {
        await store.notifications.transition(id, ['scheduled', 'accepted', 'dispatching'], 'expired');
        log.warn('window closed before dispatch; notification expired');
        return { action: 'ack' };
      }
      const started = await store.notifications.transition(id, ['scheduled', 'accepted', 'dispatching'], 'dispatching', {
        dispatch: { ...n.dispatch, startedAt: n.dispatch.startedAt ?? now() },
      });
      if (!started) return { action: 'ack' };
      log.info('fan-out started', { resumeAfter: started.dispatch.cursor });
      return fanOut(started, log);
    },
  };
}
