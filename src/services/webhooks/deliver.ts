// One attempt of one claimed delivery: sign (Standard Webhooks), POST, record the attempt and what
// comes next (done, a retry at a time, or failed), and disable an endpoint that keeps failing.
import { isSuccess, nextAttemptAt, signPayload, type RetryPolicy } from '../../domain/webhooks';
import type { Logger } from '../../log/logger';
import { boundedStore } from '../../store/call-timeout';
import type { Store } from '../../store/store';
import type { WebhookAttempt, WebhookAttemptResult, WebhookDelivery } from '../../store/store-webhooks';
import type { WebhookPoster } from './http-post';
import type { WebhookMetrics } from './metrics';

export interface DeliverDeps {
  store: Store;
  poster: WebhookPoster;
  logger: Logger;
  /** timeoutMs: the POST's own deadline; an attempt starts one only while its lease outlasts it. */
  /**
   * store.callTimeoutMs: each store call of an attempt gives up after it. The worker gives the slot back after
   * timeoutMs + callTimeoutMs, so a POST (after one endpoint read) always ends before then.
   */
  config: { webhooks: RetryPolicy & { disableAfterMs: number; timeoutMs?: number }; store?: { callTimeoutMs?: number } };
  metrics?: WebhookMetrics;
  random?: () => number;
}

/** The headers of a Standard Webhooks request. */
export function signedHeaders(secret: string, eventId: string, body: string, now = new Date()): Record<string, string> {
  const ts = Math.floor(now.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Herald-Webhooks/1',
    'webhook-id': eventId,
    'webhook-timestamp': String(ts),
    'webhook-signature': signPayload(secret, eventId, ts, body),
  };
}

export function createDeliverer(deps: DeliverDeps): { attempt(d: WebhookDelivery): Promise<WebhookDelivery | null> } {
  const { poster, logger } = deps;
  const repo = boundedStore(deps.store, deps.config.store?.callTimeoutMs ?? 0).webhooks;
  const policy = deps.config.webhooks;

  const close = (d: WebhookDelivery, error: string) => {
    deps.metrics?.attempt('skipped', 0);
    return repo.recordAttempt(d.id, d.leaseToken!, undefined, { state: 'failed' }, error);
  };

  async function disableIfFailingTooLong(endpointId: string, at: Date): Promise<void> {
    const ep = await repo.noteEndpointResult(endpointId, false, at);
    if (!ep?.enabled || !ep.failingSince || at.getTime() - ep.failingSince.getTime() < policy.disableAfterMs) return;
    const done = await repo.updateEndpoint(ep.workspaceId, ep.id, { enabled: false, disabledReason: 'failing', disabledAt: at });
    if (done) {
      deps.metrics?.endpointDisabled();
      logger.warn(`webhook endpoint ${ep.id} disabled: every attempt failed since ${ep.failingSince.toISOString()}`, {
        workspaceId: ep.workspaceId, endpointId: ep.id, origin: new URL(ep.url).origin, failingSince: ep.failingSince.toISOString(),
      });
    }
  }

  return {
    async attempt(d) {
      const ep = await repo.getEndpointById(d.endpointId);
      if (!ep) return close(d, 'the endpoint was deleted');
      if (!ep.enabled) return close(d, `the endpoint is disabled (${ep.disabledReason ?? 'manual'})`);
      const started = new Date();
      // A claimed delivery's nextAttemptAt is the end of its lease. An attempt whose store calls answered
      // late (the worker gave its slot back after store.callTimeoutMs) may be past it: the delivery is
      // due again, another attempt may own it already, and a POST now would send the event twice.
      const leaseEnd = d.nextAttemptAt?.getTime();
      if (leaseEnd !== undefined && started.getTime() + (policy.timeoutMs ?? 0) > leaseEnd) {
        logger.warn('webhook attempt not made: its lease ended before it could start (it is due again)', { deliveryId: d.id, endpointId: d.endpointId });
        return null;
      }
      const r = await poster.post(ep.url, signedHeaders(ep.secret, d.eventId, d.payload, started), d.payload);
      const at = new Date();
      const ok = isSuccess(r.outcome);
      const attempt: WebhookAttempt = { at: started, latencyMs: r.latencyMs };
      if (r.outcome.kind === 'answer') {
        attempt.statusCode = r.outcome.status;
        if (!ok) attempt.error = `HTTP ${r.outcome.status}${r.excerpt ? `: ${r.excerpt}` : ''}`;
      } else attempt.error = r.outcome.error;
      const next = ok ? undefined : nextAttemptAt(policy, r.outcome, d.attemptCount + 1, d.retryUntil, at, deps.random);
      const result: WebhookAttemptResult = ok ? { state: 'succeeded' } : next ? { state: 'pending', nextAttemptAt: next } : { state: 'failed' };
      const saved = await repo.recordAttempt(d.id, d.leaseToken!, attempt, result);
      deps.metrics?.attempt(result.state === 'pending' ? 'retry' : result.state, r.latencyMs / 1000);
      const meta = { workspaceId: d.workspaceId, endpointId: d.endpointId, deliveryId: d.id, eventId: d.eventId, status: attempt.statusCode, ms: r.latencyMs };
      if (!saved) logger.debug('webhook attempt outcome dropped: the delivery was taken over or replayed meanwhile', meta);
      else if (ok) logger.debug(`webhook ${d.eventType} delivered`, meta);
      else if (result.state === 'pending') logger.debug(`webhook attempt failed (${attempt.error}); next try at ${result.nextAttemptAt.toISOString()}`, meta);
      else logger.info(`webhook delivery failed for good: ${attempt.error}`, { ...meta, attempts: saved.attemptCount });
      if (ok) await repo.noteEndpointResult(ep.id, true, at);
      else await disableIfFailingTooLong(ep.id, at);
      return saved;
    },
  };
}
