// What a failed provider attempt does to the message: put back without counting when it never
// reached the provider or was only told to slow down (429: back-pressure, not a fault), failed
// over at once when another provider is usable, retried with backoff, or ended with the error.
import type { ItemResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import type { BackoffStrategy } from '../domain/retry';
import type { Channel, Message } from '../domain/types';
import { isExpired } from '../domain/window';
import type { Logger } from '../log/logger';
import { ProviderError } from '../providers/types';
import type { Metering } from '../services/credits';
import type { Store } from '../store/store';
import type { Chosen, ProviderRouter } from './router';

/** Refusals that are the provider's, not the message's: another provider may well take it. */
const FAILOVER_CODES: ReadonlySet<string> = new Set(['AUTH', 'CONFIG', 'REJECTED', 'UNKNOWN']);
export const REFUSED_REASON = 'refused by provider: ';

/** Our own rate limit had no send slot in time: the provider was not called for this part. */
export class NoSendSlot extends ProviderError {
  constructor(providerId: string, part: number, parts: number, retryInMs: number) {
    super('RATE_LIMITED', `${providerId}: no send slot in time for part ${part + 1} of ${parts}`, { retryAfterMs: retryInMs });
  }
}

export interface FailureDeps {
  store: Store;
  router: ProviderRouter;
  channel: Channel;
  config: Pick<HeraldConfig, 'worker'>;
  backoff: BackoffStrategy;
  now: () => Date;
  /** Refunds the reservation of a message that ends unsent. */
  metering: Metering;
}

const NONE: ReadonlySet<string> = new Set();

/** Providers that refused this message for good (recorded in its history when it failed over). */
export function refusedBy(m: Message): ReadonlySet<string> {
  let out: Set<string> | undefined;
  for (const h of m.statusHistory) if (h.provider && h.reason?.startsWith(REFUSED_REASON)) (out ??= new Set()).add(h.provider);
  return out ?? NONE;
}

export function createFailureHandler(deps: FailureDeps) {
  const { store, router, channel, now } = deps;
  const maxAttempts = deps.config.worker.maxAttempts;

  /** Back to `queued` for a later attempt that does not count this one. */
  async function putBack(m: Message, reason: string, error?: Message['error']): Promise<void> {
    await store.messages.transition(m.id, ['sending'], 'queued', { patch: { leaseUntil: undefined, ...(error ? { error } : {}) }, uncountAttempt: true, reason });
  }

  return async function attemptFailed(m: Message, chosen: Chosen, err: ProviderError, log: Logger): Promise<ItemResult> {
    const { provider } = chosen;
    const error = { code: err.code, message: err.message, providerCode: err.details.providerCode };
    const retryAfterMs = err.details.retryAfterMs;
    if (err instanceof NoSendSlot) {
      router.abandon(chosen);
      await putBack(m, 'no send slot in time; put back');
      return { action: 'retry', delayMs: retryAfterMs ?? 1000, reason: 'provider at its rate limit' };
    }
    const retryAt = new Date(now().getTime() + (retryAfterMs ?? deps.backoff(m.attempts)));
    if (err.code === 'RATE_LIMITED') {
      router.rateLimited(chosen, retryAfterMs);
      if (!isExpired(m.validUntil, retryAt)) {
        await putBack(m, `retry after ${err.code}`, error);
        log.debug('provider asked to slow down; will retry', { provider: provider.id, retryAfterMs });
        return { action: 'retry', delayMs: retryAt.getTime() - now().getTime(), reason: err.code };
      }
    } else {
      router.failed(chosen);
    }
    const within = m.attempts < maxAttempts;
    const othersUsable = router.candidates(channel, new Set(), refusedBy(m)).some((p) => p.id !== provider.id);
    if (!err.retryable && FAILOVER_CODES.has(err.code) && othersUsable && within && !isExpired(m.validUntil, now())) {
      await store.messages.transition(m.id, ['sending'], 'queued', {
        patch: { error, provider: provider.id, leaseUntil: undefined },
        reason: `${REFUSED_REASON}${err.code}`,
      });
      log.warn('provider refused the message; failing over to another', { provider: provider.id, error, attempt: m.attempts });
      return { action: 'retry', delayMs: 0, reason: `failover after ${err.code}` };
    }
    if (err.retryable && within && !isExpired(m.validUntil, retryAt)) {
      await store.messages.transition(m.id, ['sending'], 'queued', {
        patch: { error, leaseUntil: undefined, ...(err.details.mayHaveBeenAccepted ? { possibleDuplicate: true } : {}) },
        reason: `retry after ${err.code}`,
      });
      // Another usable provider takes it at once (the next attempt avoids this one); else back off.
      const delayMs = othersUsable ? 0 : retryAt.getTime() - now().getTime();
      log.warn('provider attempt failed; will retry', { provider: provider.id, error, attempt: m.attempts, ...(othersUsable ? { failover: true } : {}) });
      return { action: 'retry', delayMs, reason: err.code };
    }
    const final = isExpired(m.validUntil, retryAt) && err.retryable ? 'expired' : 'failed';
    const ended = await store.messages.transition(m.id, ['sending'], final, { patch: { error, leaseUntil: undefined }, reason: err.message });
    if (ended) void deps.metering.settle([ended]);
    log.error(`message ${final}`, { provider: provider.id, error, attempt: m.attempts });
    return { action: 'ack' };
  };
}
