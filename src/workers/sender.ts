// Channel worker: hands one message to a provider once: claim with a lease, send each part,
// record the outcome. Taking deliveries (batches, concurrency, shutdown) is deliveries.ts.
import type { ItemResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { exponentialJitter } from '../domain/retry';
import { HeraldError } from '../domain/errors';
import { isFinal } from '../domain/status';
import type { Channel, Message, MessageStatus } from '../domain/types';
import { isExpired } from '../domain/window';
import { forMessage, logMessage, type Logger } from '../log/logger';
import { ProviderError, type SendResult } from '../providers/types';
import type { Store } from '../store/store';
import { NO_METERING, type Metering } from '../services/credits';
import type { Chosen, ProviderRouter, Waiter } from './router';
import { createFailureHandler, refusedBy } from './attempt-failure';
import { createBatcher } from './batcher';
import { createDeliveryHandler } from './deliveries';
import { createLeaseKeeper } from './lease-keeper';
import { sendParts } from './send-parts';
import type { CampaignGate, GateDecision } from '../services/campaigns/gate';

export interface SenderDeps {
  store: Store;
  router: ProviderRouter;
  channel: Channel;
  config: Pick<HeraldConfig, 'worker'>;
  logger: Logger;
  /** Keeps the charge of what was handed over, refunds what ended unsent. */
  metering?: Metering;
  /** Asked before a campaign's message goes out: hold it while its campaign is paused, end it when cancelled, its provider. */
  campaigns?: CampaignGate;
  now?: () => Date;
}

/** Provider answers arrive one at a time: their records wait this long for company (the ack waits for the record). */
const RECORD_LINGER_MS = 5;
const START_LINGER_MS = 2;

type Route = Extract<GateDecision, { action: 'send' }>;

/** How often a message held by another attempt's lease is looked at again (a delay rung: 5 s). */
const LEASE_POLL_MS = 5_000;

/** How long a message waits here for a usable provider (open circuits) before it goes back to the queue. */
const HOLD_MS = 5_000;
/** Delay before a held message is looked at again (the 1 s rung): it is back waiting soon. */
const NO_PROVIDER_DELAY_MS = 1_000;

const NO_PROVIDERS: ReadonlySet<string> = new Set();
const FROM_QUEUED: MessageStatus[] = ['queued'];
const FROM_SENDING: MessageStatus[] = ['sending'];
/** The result of most messages (never changed by its readers). */
const ACK: ItemResult = { action: 'ack' };

function asProviderError(e: unknown): ProviderError {
  return e instanceof ProviderError ? e : new ProviderError('UNKNOWN', (e as Error)?.message ?? String(e));
}

export function createSender(deps: SenderDeps) {
  const { store, router, channel, logger } = deps;
  const metering = deps.metering ?? NO_METERING;
  const now = deps.now ?? (() => new Date());
  const backoff = exponentialJitter({ baseMs: deps.config.worker.retryBaseMs, maxMs: deps.config.worker.retryMaxMs });
  const attemptFailed = createFailureHandler({ store, router, channel, config: deps.config, backoff, now, metering });
  const leases = createLeaseKeeper({ store, leaseMs: deps.config.worker.leaseMs, logger, now });
  /** Provider acceptances this worker could not record yet (store down): the redelivery records them instead of sending again. */
  const unrecorded = new Map<string, { providerId: string; result: SendResult; attempt: number }>();
  /** The message as stored, read with the other deliveries arriving in the same turn (one round trip). */
  const getMessage = createBatcher(
    async (ids: string[]) => {
      // Loops, not callbacks made per batch: a short-lived closure's optimized code dies with it at each full GC.
      const byId = new Map<string, Message>();
      for (const m of await store.messages.getMany(ids)) byId.set(m.id, m);
      const found: Array<Message | null> = [];
      for (let i = 0; i < ids.length; i++) found.push(byId.get(ids[i]) ?? null);
      return found;
    },
    500,
    // A slot frees at each provider answer: the messages taking them within a few ms share the read (and then the claim).
    START_LINGER_MS,
  );
  /** Records written with the other deliveries finishing within RECORD_LINGER_MS (one round trip for them all). */
  const writeRecord = createBatcher(
    async (changes: Parameters<Store['messages']['transitionEach']>[0]) => {
      await store.messages.transitionEach(changes);
      return changes.map(() => undefined);
    },
    500,
    RECORD_LINGER_MS,
  );
  /** The attempt's claim (`-> sending` with a lease), made with the others of the same turn; null: another took it. */
  const claim = createBatcher((changes: Parameters<Store['messages']['transitionEachReturning']>[0]) => store.messages.transitionEachReturning(changes));

  /** Records the provider's acceptance; if the store is down this throws and the delivery comes back to finish it. */
  async function recordSent(m: Message, providerId: string, r: SendResult, attempt: number): Promise<ItemResult> {
    unrecorded.set(m.id, { providerId, result: r, attempt });
    const ids = channel === 'sms' ? r.providerMessageId.split(',') : [r.providerMessageId];
    const to = r.status === 'queued' ? 'sent' : r.status;
    // Acked only once written.
    await writeRecord({
      id: m.id,
      from: FROM_SENDING,
      to,
      opts: {
        patch: { provider: providerId, providerMessageIds: ids, providerStatus: r.providerStatus, sentAt: now(), error: undefined, leaseUntil: undefined },
        providerStatus: r.providerStatus,
        // The claimed copy: whoever needs the record after the write gets it without a read-back.
        expected: m,
      },
    });
    unrecorded.delete(m.id);
    // The cost it was stored with: an unmetered message (no cost) has nothing to settle.
    if (m.cost) void metering.settle([{ id: m.id, status: to, cost: m.cost }]);
    logMessage(logger, 'info', m, 'message handed to provider', { provider: providerId, providerMessageIds: ids, attempt });
    return ACK;
  }

  /**
   * The claim did not come back ours. Acked only when the message visibly moved on (final, or
   * another attempt's live lease); otherwise it is looked at again, so it can never be left behind.
   */
  async function claimLost(id: string): Promise<ItemResult> {
    const m = await store.messages.get(id);
    if (!m || isFinal(m.status) || m.status === 'sent') return { action: 'ack' };
    logMessage(logger, 'warn', m, 'claim not confirmed; looking at the message again', { status: m.status, leaseUntil: m.leaseUntil });
    if (m.status === 'sending' && m.leaseUntil && m.leaseUntil > now()) return leaseWait(m, false);
    return { action: 'retry', delayMs: 1_000, reason: 'claim not confirmed' };
  }

  /** Another attempt holds the message: never send alongside it. A lease ending within a poll is waited
   *  out here, once (a dead worker's message goes out right after it, not at the next delay rung);
   *  a longer one is looked at again every few seconds. */
  async function leaseWait(m: Message, mayWaitHere: boolean, answered?: () => void): Promise<ItemResult> {
    const leftMs = m.leaseUntil!.getTime() - now().getTime() + 250;
    if (!mayWaitHere || leftMs > LEASE_POLL_MS) return { action: 'retry', delayMs: Math.min(leftMs, LEASE_POLL_MS), reason: 'attempt in progress elsewhere' };
    await new Promise((r) => setTimeout(r, leftMs));
    return handleMessage(m.id, answered, false);
  }

  /** The provider for this attempt: now (no promise), or after holding the message here while none is usable. */
  function chooseProvider(m: Message, route?: Route): Chosen | 'rate-limited' | Promise<Chosen | 'rate-limited' | undefined> {
    const exclude: ReadonlySet<string> = m.error && m.provider ? new Set([m.provider]) : NO_PROVIDERS;
    let refused = refusedBy(m);
    const who: Waiter = { id: m.id, since: m.createdAt.getTime(), attempts: m.attempts, lastChance: m.attempts + 1 >= deps.config.worker.maxAttempts };
    if (route?.provider) {
      // The campaign's provider first; the others only by failover, and never when it is strict.
      const onlyIt = new Set([...refused, ...router.providers().filter((p) => p.channel === channel && p.id !== route.provider).map((p) => p.id)]);
      if (route.strict) refused = onlyIt;
      else if (!exclude.has(route.provider)) {
        const preferred = router.choose(channel, exclude, onlyIt, who);
        if (preferred) return preferred;
      }
    }
    return router.choose(channel, exclude, refused, who) ?? router.waitForProvider(channel, exclude, refused, who, HOLD_MS);
  }

  /** A paused campaign's message is acked unsent and kept `queued`: the campaign's resume queues it again. */
  async function campaignGate(m: Message): Promise<ItemResult | Route> {
    const decision = await deps.campaigns!.check(m.campaignId!);
    if (decision.action === 'send' && decision.strict && decision.provider && refusedBy(m).has(decision.provider)) {
      // The only provider it may use refused it for good: nothing else will take it.
      const failed = await store.messages.transition(m.id, ['accepted', 'queued'], 'failed', { reason: `refused by ${decision.provider}, the campaign's only provider (strictProvider)` });
      if (failed) void metering.settle([failed]);
      return { action: 'ack' };
    }
    if (decision.action === 'send') return decision;
    if (decision.action === 'hold') {
      if (m.status === 'accepted') await writeRecord({ id: m.id, from: ['accepted'], to: 'queued', opts: { reason: 'campaign paused: held' } });
      return { action: 'ack' };
    }
    const moved = await store.messages.transition(m.id, ['accepted', 'queued', 'scheduled'], 'cancelled', { reason: 'campaign cancelled' });
    if (moved) {
      void metering.settle([moved]);
      logMessage(logger, 'info', m, 'campaign cancelled; message not sent');
    }
    return { action: 'ack' };
  }

  async function attempt(m: Message, mayWaitHere: boolean, answered: (() => void) | undefined, route?: Route): Promise<ItemResult> {
    if (m.status === 'sending' && m.leaseUntil && m.leaseUntil > now()) return leaseWait(m, mayWaitHere, answered);
    if (m.status === 'accepted') {
      // We took it off the queue, so it was queued: the dispatcher's own mark may not have landed yet.
      await writeRecord({ id: m.id, from: ['accepted'], to: 'queued', opts: { reason: 'seen on the queue' } });
    }
    const choice = chooseProvider(m, route);
    const chosen = choice instanceof Promise ? await choice : choice;
    // No line per held message: the router logs the channel's state and a summary every 30 s.
    if (!chosen) return { action: 'retry', delayMs: NO_PROVIDER_DELAY_MS, reason: 'no provider available' };
    // Slots free up continuously: look again on the 1 s rung.
    if (chosen === 'rate-limited') return { action: 'retry', delayMs: 1_000, reason: 'every provider at its rate limit' };
    const { provider } = chosen;
    const leaseUntil = new Date(now().getTime() + deps.config.worker.leaseMs);
    // Read in this turn: the claimed message is this copy with the claim applied, not read back (`expected`).
    const claiming = claim(
      m.status === 'sending'
        ? {
            id: m.id,
            from: FROM_SENDING,
            to: 'sending',
            opts: {
              patch: { provider: provider.id, leaseUntil, possibleDuplicate: true },
              incrementAttempts: true,
              reason: 'resumed after an interrupted attempt',
              // Two deliveries finding the same ended lease: only one takes the attempt over.
              leaseEndedBefore: now(),
              expected: m,
            },
          }
        : { id: m.id, from: FROM_QUEUED, to: 'sending', opts: { patch: { provider: provider.id, leaseUntil }, incrementAttempts: true, expected: m } },
    );
    let sending: Message | null;
    try {
      sending = await claiming;
    } catch (e) {
      // A claim the store failed never reached the provider: a half-open trial goes back (else the provider waits a whole spell).
      router.abandon(chosen);
      throw e;
    }
    if (!sending) {
      router.abandon(chosen);
      return claimLost(m.id);
    }
    if (m.status === 'sending') logMessage(logger, 'warn', m, 'previous attempt was interrupted; sending again and marking possibleDuplicate');
    leases.hold(m.id, sending.attempts);
    try {
      // `answered` (the delivery handler's slot) is given back once the provider call is over: the record is written outside it.
      let r: SendResult;
      try {
        r = await sendParts(sending, provider, { store, router, now });
      } catch (e) {
        answered?.();
        // The store failing (e.g. between parts) is not the provider's fault: no circuit, no verdict; the delivery comes back.
        if (e instanceof HeraldError) {
          router.abandon(chosen);
          throw e;
        }
        return await attemptFailed(sending, chosen, asProviderError(e), forMessage(logger, sending));
      }
      answered?.();
      router.succeeded(chosen);
      return await recordSent(sending, provider.id, r, sending.attempts);
    } finally {
      leases.release(m.id);
    }
  }

  const deliveries = createDeliveryHandler((id, answered) => handleMessage(id, answered), { concurrency: deps.config.worker.prefetch, limitMs: deps.config.worker.leaseMs * 2, logger });
  return {
    handle: deliveries.handle,
    /** Stops starting messages; the leases of those under way are renewed until they finish. */
    stop(): void {
      deliveries.stop();
    },
    /** After the last attempt finished: no more lease renewals. */
    close(): void {
      leases.stop();
    },
  };

  async function handleMessage(id: string, answered?: () => void, mayWaitHere = true): Promise<ItemResult> {
    // A batch read that misses a message is checked alone before the id is dead-lettered for good.
    const m = (await getMessage(id)) ?? (await store.messages.get(id));
    if (!m) return { action: 'dead', reason: `message '${id}' does not exist` };
    if (m.channel !== channel) return { action: 'dead', reason: `message '${id}' is ${m.channel}, not ${channel}` };
    const pending = unrecorded.get(m.id);
    if (pending && m.status === 'sending') return recordSent(m, pending.providerId, pending.result, pending.attempt);
    unrecorded.delete(m.id);
    if (isFinal(m.status) || m.status === 'sent') return { action: 'ack' };
    if (isExpired(m.validUntil, now())) {
      // An attempt under way may have reached the provider: it records its own outcome; only an ended lease expires.
      if (m.status === 'sending' && m.leaseUntil && m.leaseUntil > now()) return leaseWait(m, mayWaitHere, answered);
      const moved = await store.messages.transition(m.id, ['accepted', 'queued', 'scheduled', 'sending'], 'expired', {
        reason: 'window closed before sending',
        leaseEndedBefore: now(),
      });
      if (moved) {
        void metering.settle([moved]);
        logMessage(logger, 'warn', m, 'window closed before sending; message expired');
      }
      return { action: 'ack' };
    }
    if (m.campaignId && deps.campaigns && m.status !== 'sending') {
      const gate = await campaignGate(m);
      if ('action' in gate && gate.action !== 'send') return gate as ItemResult;
      return await attempt(m, mayWaitHere, answered, gate as Route);
    }
    // Awaited, not returned: a promise returned from an async function is adopted through two more jobs.
    return await attempt(m, mayWaitHere, answered);
  }
}
