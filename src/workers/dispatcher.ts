// Fan-out: one notification -> one message per subscribed user per channel, streamed in
// keyset batches and resumable from the notification's cursor after a crash.
import type { Bus, HandlerResult, SplitPart } from '../bus/bus';
import { thrownRetry } from '../bus/amqp/run-handler';
import type { HeraldConfig } from '../config';
import { isExpired } from '../domain/window';
import type { Channel, Notification } from '../domain/types';
import { logNotification, type Logger } from '../log/logger';
import type { NewMessage, Store } from '../store/store';
import { buildMessage, recipientMessages, templatesFor } from './build-message';
import { createSubscriberWalk } from './subscriber-walk';
import { NO_METERING, withCreditWarning, type Metering } from '../services/credits';
import { groupCommit, type Outcome as Settled } from '../store/group-commit';
import { createYieldGate } from './yield-gate';

export interface DispatcherDeps {
  store: Store;
  bus: Bus;
  config: Pick<HeraldConfig, 'dispatch' | 'sms'>;
  logger: Logger;
  /** Reserves each message's cost at creation; absent: nothing is metered. */
  metering?: Metering;
  now?: () => Date;
  /** This process's HTTP server: while it serves requests, fan-outs start in rounds (yield-gate.ts) and let them go first. */
  traffic?: { busy(): boolean };
  /** The time between two rounds of fan-outs while requests are served (default 100 ms). */
  yieldRoundMs?: number;
}

export { buildMessage, messageId } from './build-message';

type Meta = Record<string, unknown>;
/** The lines of one notification's dispatch, its ids on each: what a child logger wrote, without one per notification. */
interface NotificationLog {
  info(message: string, meta?: Meta): void;
  warn(message: string, meta?: Meta): void;
  debug(message: string, meta?: Meta): void;
}

function notificationLog(logger: Logger, ids: { notificationId: string; workspaceId?: string }): NotificationLog {
  return {
    info: (message, meta) => logNotification(logger, 'info', ids, message, meta),
    warn: (message, meta) => logNotification(logger, 'warn', ids, message, meta),
    debug: (message, meta) => logNotification(logger, 'debug', ids, message, meta),
  };
}

/**
 * A dispatch delivery names one notification (`{notificationId}`) or several accepted together
 * (`{notificationIds}`: one publish, confirm, delivery and ack for all of them). Each of several runs
 * through `one` as a delivery of its own; those that are not done (retry, dead letter, a throw) settle
 * alone as split parts, so the others are not run again. A redelivery of the whole runs each again,
 * which acks one already dispatched at once.
 */
export async function eachNotification(body: unknown, one: (body: { notificationId: unknown }) => Promise<HandlerResult>): Promise<HandlerResult> {
  const ids = (body as { notificationIds?: unknown } | null)?.notificationIds;
  if (!Array.isArray(ids)) return one(body as { notificationId: unknown });
  const results = await Promise.all(
    ids.map((notificationId) =>
      one({ notificationId }).catch((e: unknown) => thrownRetry(e).retry),
    ),
  );
  const parts: SplitPart[] = [];
  results.forEach((r, i) => {
    if (r.action === 'split') parts.push(...r.parts);
    else if (r.action !== 'ack') parts.push({ body: { notificationId: ids[i] }, result: r });
  });
  return parts.length ? { action: 'split', parts } : { action: 'ack' };
}

export function createDispatcher(deps: DispatcherDeps) {
  const { store, bus, logger } = deps;
  const metering = deps.metering ?? NO_METERING;
  const now = deps.now ?? (() => new Date());
  const walk = createSubscriberWalk(store);
  const gate = createYieldGate(deps.traffic, deps.yieldRoundMs ?? 100);

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

  /** The notifications of dispatch deliveries arriving together, read in one round trip. */
  const readGrouped = groupCommit(
    async (ids: string[]): Promise<Array<Settled<Notification | null>>> => {
      const byId = new Map((await store.notifications.getMany([...new Set(ids)])).map((n) => [n.id, n]));
      return ids.map((id) => ({ ok: true, value: byId.get(id) ?? null }));
    },
    { maxBatch: 64, maxInFlight: 4 },
  );

  type Finish = Parameters<Store['notifications']['transitionEach']>[0][number];
  /** The `dispatched` compare-and-sets of fan-outs ending together, in one round trip (a repeated id on its own). */
  const finishGrouped = groupCommit(
    async (changes: Finish[]): Promise<Array<Settled<Notification | null>>> => {
      const seen = new Set<string>();
      const first = changes.filter((c) => !seen.has(c.id) && seen.add(c.id));
      const done = new Map(first.map((c, i) => [c, i]));
      const after = await store.notifications.transitionEach(first);
      return Promise.all(
        changes.map(async (c): Promise<Settled<Notification | null>> => {
          const i = done.get(c);
          return { ok: true, value: i !== undefined ? after[i] : await store.notifications.transition(c.id, c.from, c.to, c.patch) };
        }),
      );
    },
    { maxBatch: 64, maxInFlight: 4 },
  );

  /**
   * `claimed`: the notification is `dispatching` (its fan-out taken by this run). A fresh one (`accepted`, never
   * started) is not taken first: when its whole fan-out is one batch (a short first page, no recipients), one
   * compare-and-set moves it from `accepted` to `dispatched` once its messages are queued; a cancel or expiry
   * meanwhile makes that write fail. Until then it stays `accepted`, so a run interrupted before it starts over
   * (the delivery is redelivered; message ids are deterministic, the inserts skip those stored). A fan-out of more
   * than one batch takes the notification (`dispatching`) before its first write, and resumes from its cursor.
   */
  async function fanOut(n: Notification, log: NotificationLog, since: number, claimed = true): Promise<HandlerResult> {
    const ws = n.workspaceId;
    const startedAt = n.dispatch.startedAt ?? now();
    /** Takes a fresh notification before a write that moves its cursor; false: cancelled, expired or taken meanwhile. */
    const claim = async (): Promise<boolean> => {
      if (claimed) return true;
      claimed = (await store.notifications.transition(n.id, ['accepted'], 'dispatching', { dispatch: { messages: 0, startedAt } })) !== null;
      if (!claimed) log.info('notification no longer accepted before its fan-out; stopping');
      return claimed;
    };
    const [program, eventType] = await Promise.all([store.programs.get(ws, n.programId), store.eventTypes.get(ws, n.programId, n.eventTypeId)]);
    if (!program || !eventType) {
      await store.notifications.transition(n.id, ['accepted', 'dispatching'], 'cancelled', {
        warnings: [...(n.warnings ?? []), 'program or event type deleted before dispatch'],
      });
      log.warn('program or event type no longer exists; notification cancelled');
      return { action: 'ack' };
    }
    let cursor = n.dispatch.cursor;
    // The count stored with the cursor covers the batches up to it; without a cursor nothing is recorded for
    // good (the recipients, written first, are all written again), so the count starts over.
    let total = cursor === undefined ? 0 : n.dispatch.messages;
    let warnings = n.warnings;
    /** Meters, stores and queues one batch; resolves the notification as it stands after. */
    const write = async (built: NewMessage[], at: Date, last = false): Promise<Notification | null> => {
      const { messages: admitted, rejected } = await metering.admit(n, built, at);
      if (rejected) log.warn('balance could not cover every message; those are rejected', { rejected });
      warnings = withCreditWarning(warnings, rejected);
      const msgs = asQueued(admitted, at);
      await store.messages.insertMany(msgs);
      if (msgs.some((m) => m.status === 'queued')) await publishGrouped(msgs);
      // Every message of the batch, stored now or by an interrupted run before: a resumed batch counts once.
      total += msgs.length;
      // The walk's last batch: the `dispatched` transition records the cursor (and sees a cancel) in the same write.
      if (last) return null;
      return store.notifications.update(n.id, { dispatch: { ...n.dispatch, cursor, messages: total }, ...(rejected ? { warnings } : {}) });
    };
    // A matched skip rule: nothing is sent to anyone.
    const skip = n.rules?.skip === true;
    // Recipients first (a few thousand at most), before any subscriber moves the cursor; their ids
    // are deterministic, so a fan-out resumed before the cursor moved finds them already stored.
    if (!skip && cursor === undefined && n.recipients?.length) {
      if (!(await claim())) return { action: 'ack' };
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
      if (!last && !(await claim())) return { action: 'ack' };
      const current = await write(built, at, last);
      log.debug('fan-out batch queued', { users: subs.length, messages: built.length, cursor });
      if (last) break;
      if (current?.status === 'cancelled') {
        log.info('notification cancelled during fan-out; stopping');
        return { action: 'ack' };
      }
      if (isExpired(n.validUntil, now())) break;
    }
    const finishedAt = now();
    const done = await finishGrouped({
      id: n.id,
      from: claimed ? ['dispatching'] : ['accepted'],
      to: 'dispatched',
      patch: { dispatch: { ...n.dispatch, cursor, messages: total, startedAt, finishedAt }, ...(warnings !== n.warnings ? { warnings } : {}) },
      expected: n,
    });
    // One line for a small notification's whole fan-out (started and done are ms apart): its duration is in it.
    const ms = finishedAt.getTime() - startedAt.getTime();
    if (done) log.info('notification dispatched', { messages: total, ms });
    else log.info('notification cancelled during fan-out; stopping');
    return { action: 'ack' };
  }

  /** What a dispatch delivery came to, with the notification as last read (absent when it does not exist). */
  type Outcome = { result: HandlerResult; notification?: Notification };
  const acked = (notification: Notification): Outcome => ({ result: { action: 'ack' }, notification });

  async function expire(n: Notification, from: Notification['status'][], log: NotificationLog): Promise<Outcome> {
    await store.notifications.transition(n.id, from, 'expired');
    log.warn('window closed before dispatch; notification expired');
    return acked(n);
  }

  async function run(body: unknown): Promise<Outcome> {
    const id = (body as { notificationId?: unknown } | null)?.notificationId;
    if (typeof id !== 'string' || id === '') return { result: { action: 'dead', reason: 'body has no notificationId' } };
    // Requests first: while some are served, fan-outs start in rounds (8 every yieldRoundMs) with the others that wait.
    const turn = gate.enter();
    if (turn) await turn;
    const since = walk.mark();
    const n = await readGrouped(id);
    if (!n) return { result: { action: 'dead', reason: `notification '${id}' does not exist` } };
    const log = notificationLog(logger, { notificationId: id, workspaceId: n.workspaceId });
    // The common case, a notification accepted and never started: its fan-out takes it only if it needs to (see fanOut).
    if (n.status === 'accepted' && n.dispatch.cursor === undefined && n.dispatch.startedAt === undefined) {
      if (isExpired(n.validUntil, now())) return expire(n, ['accepted'], log);
      return { result: await fanOut(n, log, since, false), notification: n };
    }
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
