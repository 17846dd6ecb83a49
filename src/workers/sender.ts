// Channel worker: takes `{messageId}` from the sms or email queue and hands the message to a
// provider once. The message's status is the source of truth; the queue only says "look at it".
import type { Delivery, HandlerResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import { exponentialJitter } from '../domain/retry';
import { isFinal } from '../domain/status';
import type { Channel, Message } from '../domain/types';
import { isExpired } from '../domain/window';
import { withIds, type Logger } from '../log/logger';
import { ProviderError, type Provider, type SendResult } from '../providers/types';
import type { Store } from '../store/store';
import type { ProviderRouter } from './router';

export interface SenderDeps {
  store: Store;
  router: ProviderRouter;
  channel: Channel;
  config: Pick<HeraldConfig, 'worker'>;
  logger: Logger;
  now?: () => Date;
}

/** Delay before looking again when no provider of the channel is usable right now. */
const NO_PROVIDER_DELAY_MS = 5_000;

function asProviderError(e: unknown): ProviderError {
  return e instanceof ProviderError ? e : new ProviderError('UNKNOWN', (e as Error)?.message ?? String(e));
}

export function createSender(deps: SenderDeps) {
  const { store, router, channel, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const backoff = exponentialJitter({ baseMs: deps.config.worker.retryBaseMs, maxMs: deps.config.worker.retryMaxMs });

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

  async function attempt(m: Message, log: Logger): Promise<HandlerResult> {
    if (m.status === 'sending' && m.leaseUntil && m.leaseUntil > now()) {
      // Another worker holds this attempt: look again once its lease is over, never send alongside it.
      return { action: 'retry', delayMs: m.leaseUntil.getTime() - now().getTime() + 250, reason: 'attempt in progress elsewhere' };
    }
    if (m.status === 'accepted') {
      // We took it off the queue, so it was queued: the dispatcher's own mark may not have landed yet.
      await store.messages.transition(m.id, ['accepted'], 'queued', { reason: 'seen on the queue' });
    }
    const exclude = new Set(m.error && m.provider ? [m.provider] : []);
    const provider = router.pick(channel, exclude);
    if (!provider) {
      log.warn('no usable provider for the channel; will look again', { channel });
      return { action: 'retry', delayMs: NO_PROVIDER_DELAY_MS, reason: 'no provider available' };
    }
    const resumed = m.status === 'sending';
    const sending = await store.messages.transition(m.id, resumed ? ['sending'] : ['queued'], 'sending', {
      patch: { provider: provider.id, leaseUntil: new Date(now().getTime() + deps.config.worker.leaseMs), ...(resumed ? { possibleDuplicate: true } : {}) },
      incrementAttempts: true,
      reason: resumed ? 'resumed after an interrupted attempt' : undefined,
    });
    if (!sending) return { action: 'ack' };
    if (resumed) log.warn('previous attempt was interrupted; sending again and marking possibleDuplicate');
    try {
      const r = await sendParts(sending, provider);
      router.succeeded(provider.id);
      const ids = channel === 'sms' ? r.providerMessageId.split(',') : [r.providerMessageId];
      await store.messages.transition(m.id, ['sending'], r.status === 'queued' ? 'sent' : r.status, {
        patch: { provider: provider.id, providerMessageIds: ids, providerStatus: r.providerStatus, sentAt: now(), error: undefined, leaseUntil: undefined },
        providerStatus: r.providerStatus,
      });
      log.info('message handed to provider', { provider: provider.id, providerMessageIds: ids, attempt: sending.attempts });
      return { action: 'ack' };
    } catch (e) {
      const err = asProviderError(e);
      router.failed(provider.id);
      const error = { code: err.code, message: err.message, providerCode: err.details.providerCode };
      const retryAt = new Date(now().getTime() + (err.details.retryAfterMs ?? backoff(sending.attempts)));
      const canRetry = err.retryable && sending.attempts < deps.config.worker.maxAttempts && !isExpired(m.validUntil, retryAt);
      if (canRetry) {
        await store.messages.transition(m.id, ['sending'], 'queued', {
          patch: { error, leaseUntil: undefined, ...(err.details.mayHaveBeenAccepted ? { possibleDuplicate: true } : {}) },
          reason: `retry after ${err.code}`,
        });
        log.warn('provider attempt failed; will retry', { provider: provider.id, error, attempt: sending.attempts });
        return { action: 'retry', delayMs: retryAt.getTime() - now().getTime(), reason: err.code };
      }
      const final = isExpired(m.validUntil, retryAt) && err.retryable ? 'expired' : 'failed';
      await store.messages.transition(m.id, ['sending'], final, { patch: { error, leaseUntil: undefined }, reason: err.message });
      log.error(`message ${final}`, { provider: provider.id, error, attempt: sending.attempts });
      return { action: 'ack' };
    }
  }

  return {
    async handle(d: Delivery): Promise<HandlerResult> {
      const id = (d.body as { messageId?: unknown } | null)?.messageId;
      if (typeof id !== 'string' || id === '') return { action: 'dead', reason: 'body has no messageId' };
      const m = await store.messages.get(id);
      if (!m) return { action: 'dead', reason: `message '${id}' does not exist` };
      if (m.channel !== channel) return { action: 'dead', reason: `message '${id}' is ${m.channel}, not ${channel}` };
      const log = withIds(logger, { notificationId: m.notificationId, messageId: m.id });
      if (isFinal(m.status) || m.status === 'sent') return { action: 'ack' };
      if (isExpired(m.validUntil, now())) {
        const moved = await store.messages.transition(m.id, ['accepted', 'queued', 'scheduled', 'sending'], 'expired', {
          reason: 'window closed before sending',
        });
        if (moved) log.warn('window closed before sending; message expired');
        return { action: 'ack' };
      }
      return attempt(m, log);
    },
  };
}
