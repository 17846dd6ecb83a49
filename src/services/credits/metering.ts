// Metering on the message path: the fan-out reserves each message's cost (what the balance cannot
// cover is rejected with insufficient_credit); a message that ends unsent is refunded once; one
// handed over keeps its charge. Every site calls one function here; the sweeper is the safety net.
import { CHARGED_STATUSES, INSUFFICIENT_CREDIT, REFUNDED_STATUSES, messageCost, workspaceOf, type CreditPrices } from '../../domain/credits';
import type { Message, MessageStatus, Notification } from '../../domain/types';
import type { Logger } from '../../log/logger';
import type { NewMessage, ReserveItem, Store } from '../../store/store';
import { pricesOf, type CreditsConfig } from './pricing';
import type { BalanceSignals } from './signals';

export interface Metering {
  /**
   * Reserves the batch's sendable messages; the ones the balance cannot cover come back rejected (copies), the
   * covered ones come back as they were given, their `cost` set on them: pass messages built for this call.
   */
  admit(n: MeteredOwner, msgs: NewMessage[], at: Date): Promise<{ messages: NewMessage[]; rejected: number }>;
  /** After messages moved: refunds the unsent final ones, keeps the charge of the handed-over ones. Never rejects. */
  settle(moved: Array<SettledMessage>): Promise<void>;
  /** Settles reservations left held (a crash, a store outage); resolves how many it settled. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

/** A message that moved; one that says its `cost` and has none (unmetered, free) was never reserved and is skipped. */
export type SettledMessage = Pick<Message, 'id' | 'status'> & { cost?: number };

/** Whose messages are reserved: a notification, or a campaign (its id is the messages' notificationId too). */
export type MeteredOwner = Pick<Notification, 'id' | 'workspaceId'> & { campaignId?: string };

export interface MeteringDeps {
  store: Store;
  config: CreditsConfig;
  signals: BalanceSignals;
  logger: Logger;
  now?: () => Date;
}

/** How long a workspace's prices (and whether it is metered) are reused before being read again. */
const ACCOUNT_TTL_MS = 5_000;
/** A reserve batch still on its account after this long was interrupted (its process died): the sweeper finishes it. */
const PENDING_GRACE_MS = 30_000;
/** A reservation the sweeper looks at: older than this and still held. */
const HELD_GRACE_MS = 60_000;
/** A reservation whose message was never stored (the fan-out died in between) is refunded after this. */
const ORPHAN_AFTER_MS = 10 * 60_000;
const SWEEP_BATCH = 500;
const RETRY_MS = 5_000;
/** Settlements wait this long to share one round trip with the others (a busy worker hands over thousands a second). */
const SETTLE_EVERY_MS = 200;
/** Reserve batches whose ledger entries may be written while the fan-out goes on; one more waits for the oldest. */
const MAX_WRITING = 4;

const REFUND = new Set<MessageStatus>(REFUNDED_STATUSES);
const CHARGE = new Set<MessageStatus>(CHARGED_STATUSES);

export function rejectForCredit(m: NewMessage, at: Date): NewMessage {
  return {
    ...m,
    status: 'rejected',
    statusHistory: [{ status: 'rejected', at, reason: INSUFFICIENT_CREDIT }],
    error: { code: 'INSUFFICIENT_CREDIT', message: 'the workspace balance could not cover this message' },
  };
}

/** The notification's warnings with the insufficient-credit count raised by `more`. */
export function withCreditWarning(warnings: string[] | undefined, more: number): string[] | undefined {
  if (more === 0) return warnings;
  const prefix = `${INSUFFICIENT_CREDIT}: `;
  const old = (warnings ?? []).find((w) => w.startsWith(prefix));
  const total = (old ? Number.parseInt(old.slice(prefix.length), 10) || 0 : 0) + more;
  return [...(warnings ?? []).filter((w) => w !== old), `${prefix}${total} message(s) rejected: the balance could not cover them`];
}

export function createMetering(deps: MeteringDeps): Metering {
  const { store, logger, signals } = deps;
  const now = deps.now ?? (() => new Date());
  const accounts = new Map<string, { at: number; metered: boolean; prices: CreditPrices }>();
  const pending = { charge: new Set<string>(), refund: new Set<string>() };
  let flushing: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  /** After stop: what a failed write leaves is the sweeper's, never tried again on a timer (against a closed store, every RETRY_MS, the process would not end). */
  let stopped = false;
  let next: Promise<void> | undefined;
  /** Ledger entries of debited reserve batches still being written (MongoDB): settlements here wait for them. */
  const writing = new Set<Promise<void>>();
  const track = (entries: Promise<void>): void => {
    const w: Promise<void> = entries
      .catch((e: unknown) => void logger.warn('credits: writing reserve entries failed; the sweeper writes them', { error: (e as Error).message }))
      .finally(() => writing.delete(w));
    writing.add(w);
  };

  async function accountOf(ws: string): Promise<{ metered: boolean; prices: CreditPrices }> {
    const cached = accounts.get(ws);
    if (cached && Date.now() - cached.at < ACCOUNT_TTL_MS) return cached;
    const acc = await store.credits.get(ws);
    const fresh = { at: Date.now(), metered: acc !== null && acc.balance !== null, prices: pricesOf(acc, deps.config) };
    accounts.set(ws, fresh);
    return fresh;
  }

  /** Writes what is pending in two round trips; on failure the ids wait and are tried again. */
  async function flush(): Promise<void> {
    // A reservation is charged or refunded once its entry is there.
    if (writing.size) await Promise.all(writing);
    const charge = [...pending.charge];
    const refund = [...pending.refund];
    pending.charge.clear();
    pending.refund.clear();
    try {
      if (charge.length) await store.credits.charge(charge);
      if (refund.length) for (const e of await store.credits.refund(refund)) signals.changed(e.workspaceId);
    } catch (e) {
      charge.forEach((id) => pending.charge.add(id));
      refund.forEach((id) => pending.refund.add(id));
      logger.warn('credits: settling failed; will try again', { error: (e as Error).message, charge: charge.length, refund: refund.length });
      if (!stopped) retryTimer ??= setTimeout(() => {
        retryTimer = undefined;
        void run();
      }, RETRY_MS);
    }
  }

  /** One flush at a time; calls arriving meanwhile share the next one. */
  function run(): Promise<void> {
    flushing = (flushing ?? Promise.resolve()).then(() => (pending.charge.size || pending.refund.size ? flush() : undefined));
    return flushing;
  }

  const metering: Metering = {
    async admit(n, msgs, at) {
      const ws = workspaceOf(n);
      const sendable = msgs.filter((m) => m.status === 'accepted');
      if (sendable.length === 0) return { messages: msgs, rejected: 0 };
      const { metered, prices } = await accountOf(ws);
      if (!metered) return { messages: msgs, rejected: 0 };
      // Items in the order of `sendable`: item i is message i's reservation.
      const campaignId = n.campaignId;
      const items: ReserveItem[] = sendable.map((m) =>
        campaignId
          ? { messageId: m.id, notificationId: n.id, campaignId, cost: messageCost(m.channel, m.sms?.segments, prices) }
          : { messageId: m.id, notificationId: n.id, cost: messageCost(m.channel, m.sms?.segments, prices) },
      );
      while (writing.size >= MAX_WRITING) await Promise.race(writing);
      // The debit is the decision: the fan-out goes on while the batch's entries are written.
      const covered = new Set(await store.credits.reserve(ws, items, { background: track }));
      if (items.some((i) => i.cost > 0)) signals.changed(ws);
      // A covered message carries what was reserved for it: usage, metrics and exports read it there.
      // `sendable` is `msgs`' accepted ones in order, so the next accepted message is item j.
      let rejected = 0;
      let j = 0;
      const messages = msgs.map((m) => {
        if (m.status !== 'accepted') return m;
        const { cost } = items[j++];
        if (!covered.has(m.id)) return (rejected++, rejectForCredit(m, at));
        // Set on the caller's own object, built for this batch (no copy of each message).
        if (cost > 0) m.cost = cost;
        return m;
      });
      return { messages, rejected };
    },

    settle(moved) {
      for (const m of moved) {
        // No reservation to charge or refund: an unmetered workspace pays no ledger write per message.
        if ('cost' in m && !m.cost) continue;
        if (REFUND.has(m.status)) pending.refund.add(m.id);
        else if (CHARGE.has(m.status)) pending.charge.add(m.id);
      }
      if (pending.charge.size + pending.refund.size === 0) return Promise.resolve();
      // Everything settled within the next SETTLE_EVERY_MS shares one charge and one refund round trip,
      // and one promise: a busy worker settles each message on its own (no promise made per call).
      next ??= new Promise<void>((resolve) => setTimeout(resolve, SETTLE_EVERY_MS))
        .then(() => {
          next = undefined;
          return run();
        })
        .catch(() => undefined);
      return next;
    },

    async sweep() {
      const at = now().getTime();
      // Movements a dead process left half-way between balance and ledger (MongoDB): finished now.
      const finished = await store.credits.settlePending(new Date(at - PENDING_GRACE_MS));
      if (finished > 0) logger.warn('credits: finished movements interrupted between balance and ledger', { movements: finished });
      const held = await store.credits.findHeld(new Date(at - HELD_GRACE_MS), SWEEP_BATCH);
      if (held.length === 0) return 0;
      const found = new Map((await store.messages.getMany(held.map((e) => e.messageId!))).map((m) => [m.id, m]));
      const orphans = held.filter((e) => !found.has(e.messageId!) && e.createdAt.getTime() < at - ORPHAN_AFTER_MS);
      const moved = [...found.values()].filter((m) => REFUND.has(m.status) || CHARGE.has(m.status));
      await metering.settle([...moved, ...orphans.map((e) => ({ id: e.messageId!, status: 'cancelled' as const }))]);
      return moved.length + orphans.length;
    },

    async stop() {
      stopped = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await Promise.all(writing);
      await run().catch(() => undefined);
    },
  };
  return metering;
}

/** For callers without metering (tools, tests of other parts): admits everything, settles nothing. */
export const NO_METERING: Metering = {
  admit: async (_n, messages) => ({ messages, rejected: 0 }),
  settle: async () => undefined,
  sweep: async () => 0,
  stop: async () => undefined,
};
