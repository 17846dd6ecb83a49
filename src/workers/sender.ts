// Channel worker: hands one message to a provider once: claim with a lease, send each part,
// record the outcome. Taking deliveries (batches, concurrency, shutdown) is deliveries.ts.
import type { ItemResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { exponentialJitter } from '../domain/retry';
import { HeraldError } from '../domain/errors';
import { isFinal } from '../domain/status';
import type { Channel, Message } from '../domain/types';
import { isExpired } from '../domain/window';
import { withIds, type Logger } from '../log/logger';
import { ProviderError, type Provider, type SendResult } from '../providers/types';
import type { Store } from '../store/store';
import { NO_METERING, type Metering } from '../services/credits';
import type { ProviderRouter } from './router';
import { createBatcher } from './batcher';
import { createDeliveryHandler } from './deliveries';

export interface SenderDeps {
  store: Store;
  router: ProviderRouter;
  channel: Channel;
  config: Pick<HeraldConfig, 'worker'>;
  logger: Logger;
  /** Keeps the charge of what was handed over, refunds what ended unsent. */
  metering?: Metering;
  now?: () => Date;
}

/** How often a message held by another attempt's lease is looked at again (a delay rung: 5 s). */
const LEASE_POLL_MS = 5_000;

/** Delay before looking again when no provider of the channel is usable right now. */
const NO_PROVIDER_DELAY_MS = 5_000;

/** Refusals that are the provider's, not the message's: another provider may well take it. */
const FAILOVER_CODES: ReadonlySet<string> = new Set(['AUTH', 'REJECTED', 'UNKNOWN']);
const REFUSED_REASON = 'refused by provider: ';

/** Providers that refused this message for good (recorded in its history when it failed over). */
function refusedBy(m: Message): Set<string> {
  return new Set(m.statusHistory.filter((h) => h.reason?.startsWith(REFUSED_REASON) && h.provider).map((h) => h.provider!));
}

function asProviderError(e: unknown): ProviderError {
  return e instanceof ProviderError ? e : new ProviderError('UNKNOWN', (e as Error)?.message ?? String(e));
}

export function createSender(deps: SenderDeps) {
  const { store, router, channel, logger } = deps;
  const metering = deps.metering ?? NO_METERING;
  const now = deps.now ?? (() => new Date());
  const backoff = exponentialJitter({ baseMs: deps.config.worker.retryBaseMs, maxMs: deps.config.worker.retryMaxMs });
  /** Provider acceptances this worker could not record yet (store down): the redelivery records them instead of sending again. */
  const unrecorded = new Map<string, { providerId: string; result: SendResult; attempt: number }>();
  /** The message as stored, read with the other deliveries arriving in the same turn (one round trip). */
  const getMessage = createBatcher(async (ids: string[]) => {
    const byId = new Map((await store.messages.getMany(ids)).map((m) => [m.id, m]));
    return ids.map((id) => byId.get(id) ?? null);
  });
  /** Records written with the other deliveries finishing in the same turn (one round trip). */
  const writeRecord = createBatcher(async (changes: Parameters<Store['messages']['transitionEach']>[0]) => {
    await store.messages.transitionEach(changes);
    return changes.map(() => undefined);
  });
  /** The attempt's claim (`-> sending` with a lease), made with the others of the same turn; null: another took it. */
  const claim = createBatcher((changes: Parameters<Store['messages']['transitionEachReturning']>[0]) => store.messages.transitionEachReturning(changes));

  /** Records the provider's acceptance; if the store is down this throws and the delivery comes back to finish it. */
  async function recordSent(m: Message, providerId: string, r: SendResult, attempt: number, log: Logger): Promise<ItemResult> {
    unrecorded.set(m.id, { providerId, result: r, attempt });
    const ids = channel === 'sms' ? r.providerMessageId.split(',') : [r.providerMessageId];
    const to = r.status === 'queued' ? 'sent' : r.status;
    // Acked only once written.
    await writeRecord({
      id: m.id,
      from: ['sending'],
      to,
      opts: {
        patch: { provider: providerId, providerMessageIds: ids, providerStatus: r.providerStatus, sentAt: now(), error: undefined, leaseUntil: undefined },
        providerStatus: r.providerStatus,
      },
    });
    unrecorded.delete(m.id);
    void metering.settle([{ id: m.id, status: to }]);
    log.info('message handed to provider', { provider: providerId, providerMessageIds: ids, attempt });
    return { action: 'ack' };
  }

  /** Sends every part not yet accepted, in order, recording each provider id as it comes back. */
  async function sendParts(m: Message, provider: Provider): Promise<SendResult> {
    if (provider.channel === 'email') {
      return provider.send({
        messageId: m.id,
        to: m.to,
        subject: m.content.subject ?? '',
        text: m.content.text,
        html: m.content.html,
        validUntil: m.validUntil,
      });
    }
    const parts = m.sms?.parts.length ? m.sms.parts : [m.content.text];
    const ids = [...(m.providerMessageIds ?? [])];
    let last: SendResult | undefined;
    for (let i = ids.length; i < parts.length; i++) {
      if (isExpired(m.validUntil, now())) throw new ProviderError('REJECTED', `validity elapsed after part ${i} of ${parts.length}`);
      // The first part used the token taken when the provider was chosen; each further part takes its own.
      if (i > (m.providerMessageIds?.length ?? 0) && !(await router.throttle(provider.id))) {
        throw new ProviderError('RATE_LIMITED', `${provider.id}: rate limit reached before part ${i + 1} of ${parts.length}`, { retryAfterMs: 1000 });
      }
      last = await provider.send({ messageId: m.id, part: i, to: m.to, text: parts[i], validUntil: m.validUntil });
      ids.push(last.providerMessageId);
      if (i < parts.length - 1) {
        await store.messages.transition(m.id, ['sending'], 'sending', {
          patch: { providerMessageIds: ids, provider: provider.id },
          reason: `part ${i + 1} of ${parts.length} accepted`,
        });
      }
    }
    return { ...(last as SendResult), providerMessageId: ids.join(',') };
  }

  /**
   * The claim did not come back ours. Acked only when the message visibly moved on (final, or
   * another attempt's live lease); otherwise it is looked at again, so it can never be left behind.
   */
  async function claimLost(id: string, log: Logger): Promise<ItemResult> {
    const m = await store.messages.get(id);
    if (!m || isFinal(m.status) || m.status === 'sent') return { action: 'ack' };
    log.warn('claim not confirmed; looking at the message again', { status: m.status, leaseUntil: m.leaseUntil });
    if (m.status === 'sending' && m.leaseUntil && m.leaseUntil > now()) return leaseWait(m);
    return { action: 'retry', delayMs: 1_000, reason: 'claim not confirmed' };
  }

  /** Another attempt holds the message: never send alongside it. Look again every few seconds: a delay up
   *  to the lease's end would wait for the delay rung above it (2 min for a 60 s lease). */
  function leaseWait(m: Message): ItemResult {
    const leftMs = m.leaseUntil!.getTime() - now().getTime() + 250;
    return { action: 'retry', delayMs: Math.min(leftMs, LEASE_POLL_MS), reason: 'attempt in progress elsewhere' };
  }

  async function attempt(m: Message, log: Logger): Promise<ItemResult> {
    if (m.status === 'sending' && m.leaseUntil && m.leaseUntil > now()) return leaseWait(m);
    if (m.status === 'accepted') {
      // We took it off the queue, so it was queued: the dispatcher's own mark may not have landed yet.
      await writeRecord({ id: m.id, from: ['accepted'], to: 'queued', opts: { reason: 'seen on the queue' } });
    }
    const exclude = new Set(m.error && m.provider ? [m.provider] : []);
    const refused = refusedBy(m);
    const acquired = await router.acquire(channel, exclude, refused);
    const provider = acquired.provider;
    if (!provider) {
      if (acquired.reason === 'rate-limited') return { action: 'retry', delayMs: acquired.retryInMs, reason: 'every provider at its rate limit' };
      log.warn('no usable provider for the channel; will look again', { channel });
      return { action: 'retry', delayMs: NO_PROVIDER_DELAY_MS, reason: 'no provider available' };
    }
    const resumed = m.status === 'sending';
    const sending = await claim({
      id: m.id,
      from: resumed ? ['sending'] : ['queued'],
      to: 'sending',
      opts: {
        patch: { provider: provider.id, leaseUntil: new Date(now().getTime() + deps.config.worker.leaseMs), ...(resumed ? { possibleDuplicate: true } : {}) },
        incrementAttempts: true,
        reason: resumed ? 'resumed after an interrupted attempt' : undefined,
        // Two deliveries finding the same ended lease: only one takes the attempt over.
        ...(resumed ? { leaseEndedBefore: now() } : {}),
      },
    });
    if (!sending) return claimLost(m.id, log);
    if (resumed) log.warn('previous attempt was interrupted; sending again and marking possibleDuplicate');
    let r: SendResult;
    try {
      r = await sendParts(sending, provider);
    } catch (e) {
      // The store failing (e.g. between parts) is not the provider's fault: no circuit, no verdict; the delivery comes back.
      if (e instanceof HeraldError) throw e;
      const err = asProviderError(e);
      router.failed(provider.id);
      const error = { code: err.code, message: err.message, providerCode: err.details.providerCode };
      const retryAt = new Date(now().getTime() + (err.details.retryAfterMs ?? backoff(sending.attempts)));
      const canRetry = err.retryable && sending.attempts < deps.config.worker.maxAttempts && !isExpired(m.validUntil, retryAt);
      const othersLeft = router.providers().some((p) => p.channel === channel && p.id !== provider.id && !refused.has(p.id));
      if (!err.retryable && FAILOVER_CODES.has(err.code) && othersLeft && sending.attempts < deps.config.worker.maxAttempts && !isExpired(m.validUntil, now())) {
        await store.messages.transition(m.id, ['sending'], 'queued', {
          patch: { error, provider: provider.id, leaseUntil: undefined },
          reason: `${REFUSED_REASON}${err.code}`,
        });
        log.warn('provider refused the message; failing over to another', { provider: provider.id, error, attempt: sending.attempts });
        return { action: 'retry', delayMs: 0, reason: `failover after ${err.code}` };
      }
      if (canRetry) {
        await store.messages.transition(m.id, ['sending'], 'queued', {
          patch: { error, leaseUntil: undefined, ...(err.details.mayHaveBeenAccepted ? { possibleDuplicate: true } : {}) },
          reason: `retry after ${err.code}`,
        });
        log.warn('provider attempt failed; will retry', { provider: provider.id, error, attempt: sending.attempts });
        return { action: 'retry', delayMs: retryAt.getTime() - now().getTime(), reason: err.code };
      }
      const final = isExpired(m.validUntil, retryAt) && err.retryable ? 'expired' : 'failed';
      const ended = await store.messages.transition(m.id, ['sending'], final, { patch: { error, leaseUntil: undefined }, reason: err.message });
      if (ended) void metering.settle([ended]);
      log.error(`message ${final}`, { provider: provider.id, error, attempt: sending.attempts });
      return { action: 'ack' };
    }
    router.succeeded(provider.id);
    return recordSent(sending, provider.id, r, sending.attempts, log);
  }

  return createDeliveryHandler(handleMessage, { concurrency: deps.config.worker.prefetch, limitMs: deps.config.worker.leaseMs * 2, logger });

  async function handleMessage(id: string): Promise<ItemResult> {
    // A batch read that misses a message is checked alone before the id is dead-lettered for good.
    const m = (await getMessage(id)) ?? (await store.messages.get(id));
    if (!m) return { action: 'dead', reason: `message '${id}' does not exist` };
    if (m.channel !== channel) return { action: 'dead', reason: `message '${id}' is ${m.channel}, not ${channel}` };
    const log = withIds(logger, { notificationId: m.notificationId, messageId: m.id });
    const pending = unrecorded.get(m.id);
    if (pending && m.status === 'sending') return recordSent(m, pending.providerId, pending.result, pending.attempt, log);
    unrecorded.delete(m.id);
    if (isFinal(m.status) || m.status === 'sent') return { action: 'ack' };
    if (isExpired(m.validUntil, now())) {
      // An attempt under way may have reached the provider: it records its own outcome; only an ended lease expires.
      if (m.status === 'sending' && m.leaseUntil && m.leaseUntil > now()) return leaseWait(m);
      const moved = await store.messages.transition(m.id, ['accepted', 'queued', 'scheduled', 'sending'], 'expired', {
        reason: 'window closed before sending',
        leaseEndedBefore: now(),
      });
      if (moved) {
        void metering.settle([moved]);
        log.warn('window closed before sending; message expired');
      }
      return { action: 'ack' };
    }
    return attempt(m, log);
  }
}
