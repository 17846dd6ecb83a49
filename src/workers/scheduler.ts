// Periodic duties that make the system converge whatever crashed: start scheduled
// notifications, republish what was stored but never confirmed on the bus, expire what
// outlived its window. Every step is a compare-and-set, so several schedulers are safe.
import type { Bus } from '../bus/bus';
import type { HeraldConfig } from '../config';
import type { Message, MessageStatus } from '../domain/types';
import { forMessage, forNotification, type Logger } from '../log/logger';
import type { Store } from '../store/store';
import { boundedStore, withinStoreTimeout } from '../store/call-timeout';
import { NO_METERING, type Metering } from '../services/credits';
import { createPeriodic } from './periodic';

export interface SchedulerDeps {
  store: Store;
  bus: Bus;
  /**
   * store.callTimeoutMs: a store call (or a metering settle/sweep) still unanswered after this fails its step (StoreTimeoutError)
   * and the round goes on. Each call is bounded, not the step: a slow step making progress is never given up and run again beside itself.
   */
  config: Pick<HeraldConfig, 'scheduler'> & { store?: { callTimeoutMs: number } };
  logger: Logger;
  /** Refunds what expires; its sweep settles reservations left held. */
  metering?: Metering;
  now?: () => Date;
  /** How long a stored-but-unqueued record waits before the relay republishes it. */
  relayAfterMs?: number;
}

const BATCH = 500;
/** The message-level sweeps (relay, expiry) run every this many ticks: they read the largest collection. */
const MESSAGE_SWEEP_EVERY_TICKS = 5;
/** Message statuses that have not reached a provider and may therefore expire. */
const EXPIRABLE: MessageStatus[] = ['accepted', 'scheduled', 'queued'];

export function createScheduler(deps: SchedulerDeps) {
  const { bus, logger } = deps;
  const callTimeoutMs = deps.config.store?.callTimeoutMs ?? 0;
  const store = boundedStore(deps.store, callTimeoutMs);
  const metering = deps.metering ?? NO_METERING;
  const now = deps.now ?? (() => new Date());
  const relayAfterMs = deps.relayAfterMs ?? 10_000;

  async function publishDispatch(id: string): Promise<void> {
    await bus.publish('dispatch', { notificationId: id }, { messageId: id });
  }

  /** Scheduled notifications whose start has come: accepted, then queued for dispatch. */
  async function startDue(): Promise<number> {
    const due = await store.notifications.findByStatus(['scheduled'], { startBefore: now(), limit: BATCH });
    for (const n of due) {
      const moved = await store.notifications.transition(n.id, ['scheduled'], 'accepted');
      if (!moved) continue;
      forNotification(logger, n).info('scheduled start reached; queued for dispatch');
      await publishDispatch(n.id);
    }
    return due.length;
  }

  /** Accepted notifications and messages that sat unqueued too long (their publish died). */
  async function relay(sweepMessages = true): Promise<number> {
    const before = new Date(now().getTime() - relayAfterMs);
    const stale = await store.notifications.findByStatus(['accepted'], { updatedBefore: before, limit: BATCH });
    for (const n of stale) {
      await publishDispatch(n.id);
      // Touches updatedAt (one relay per period) only while still accepted: a fan-out that took it meanwhile keeps its cursor.
      await store.notifications.transition(n.id, ['accepted'], 'accepted');
      forNotification(logger, n).info('relay: dispatch republished');
    }
    const msgs = sweepMessages ? await store.messages.findStale(['accepted'], before, BATCH) : [];
    for (const m of msgs) {
      await bus.publish(m.channel, { messageId: m.id }, { messageId: m.id });
      await store.messages.transition(m.id, ['accepted'], 'queued', { reason: 'relay' });
      forMessage(logger, m).info('relay: message republished');
    }
    return stale.length + msgs.length;
  }

  async function expire(sweepMessages = true): Promise<number> {
    const at = now();
    let count = 0;
    const notifications = await store.notifications.findByStatus(['scheduled', 'accepted'], { validBefore: at, limit: BATCH });
    for (const n of notifications) {
      if (await store.notifications.transition(n.id, ['scheduled', 'accepted'], 'expired')) {
        forNotification(logger, n).warn('window closed before dispatch; notification expired');
        count++;
      }
    }
    const msgs = sweepMessages ? await store.messages.findExpired(EXPIRABLE, at, BATCH) : [];
    const ended: Message[] = [];
    for (const m of msgs) {
      const expired = await store.messages.transition(m.id, EXPIRABLE, 'expired', { reason: 'window closed before sending' });
      if (expired) {
        ended.push(expired);
        forMessage(logger, m).warn('message expired');
        count++;
      }
    }
    // A settle given up on may finish later: harmless (it is once per message; the sweep settles what it left).
    await withinStoreTimeout(metering.settle(ended), callTimeoutMs, 'credits settle');
    return count;
  }

  /** Reservations still held after their message ended (a settle that failed or a process that died). */
  async function settleCredits(sweepMessages = true): Promise<number> {
    return sweepMessages ? withinStoreTimeout(metering.sweep(), callTimeoutMs, 'credits sweep') : 0;
  }

  let ticks = 0;

  /** One round of every duty; `sweepMessages` false skips the message-level relay and expiry. */
  async function tick(sweepMessages = true): Promise<void> {
    for (const step of [startDue, relay, expire, settleCredits]) {
      try {
        await step(sweepMessages);
      } catch (e) {
        logger.warn(`scheduler: ${step.name} failed; will try again`, { error: (e as Error).message });
      }
    }
  }

  // The message-level sweeps run every MESSAGE_SWEEP_EVERY_TICKS rounds.
  return { tick, ...createPeriodic(() => tick(ticks++ % MESSAGE_SWEEP_EVERY_TICKS === 0), deps.config.scheduler.intervalMs) };
}
