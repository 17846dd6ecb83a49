// Applies providers' delivery reports to messages: statuses only move forward, the provider's raw
// status and error code are kept, and a message sent in several parts aggregates its parts.
import { aggregateParts, canMoveTo, sourcesFor } from '../domain/status';
import type { Message, MessageStatus } from '../domain/types';
import { forMessage, type Logger } from '../log/logger';
import type { DeliveryReport } from '../providers/types';
import type { Store } from '../store/store';
import { NO_METERING, type Metering } from './credits';

export type ReportOutcome =
  | { result: 'applied'; messageId: string; status: MessageStatus }
  /** Known message, nothing to change: a late, repeated or less advanced report. */
  | { result: 'unchanged'; messageId: string; status: MessageStatus }
  | { result: 'unknown-message' };

/** Statuses a report can end a message (or a part) in, that are failures. */
const FAILURES = new Set<MessageStatus>(['undelivered', 'failed', 'expired', 'rejected', 'cancelled']);

export interface DeliveryReports {
  apply(providerId: string, report: DeliveryReport): Promise<ReportOutcome>;
}

export function createDeliveryReports(deps: { store: Store; logger: Logger; metering?: Metering; now?: () => Date }): DeliveryReports {
  const { store, logger } = deps;
  const now = deps.now ?? (() => new Date());

  /** A status the vendor never documented: kept on the message and its history, logged, nothing moves. */
  async function noteUnmapped(m: Message, providerId: string, r: DeliveryReport, log: Logger): Promise<ReportOutcome> {
    const noted = await store.messages.noteProviderStatus(m.id, {
      providerStatus: r.providerStatus,
      provider: providerId,
      reason: `delivery report with a status Herald does not map: ${r.providerStatus}`,
      at: r.at ?? now(),
    });
    log.warn('delivery report with an unknown provider status; recorded, status unchanged', {
      provider: providerId,
      providerMessageId: r.providerMessageId,
      providerStatus: r.providerStatus,
      status: m.status,
      ...(r.errorCode ? { errorCode: r.errorCode } : {}),
    });
    return { result: 'unchanged', messageId: m.id, status: noted?.status ?? m.status };
  }

  /** The part's new status recorded, then the message's status aggregated over every part. */
  async function target(m: Message, r: DeliveryReport & { status: MessageStatus }): Promise<{ message: Message; status: MessageStatus; partChanged: boolean }> {
    const ids = m.providerMessageIds ?? [];
    if (ids.length <= 1) return { message: m, status: r.status, partChanged: false };
    const updated = await store.messages.recordPartStatus(m.id, r.providerMessageId, r.status, sourcesFor(r.status));
    const message = updated ?? m;
    // A part no report has named yet is where the hand-off left it: sent.
    const status = aggregateParts(ids.map((id) => message.partStatuses?.[id] ?? 'sent'));
    return { message, status, partChanged: updated !== null };
  }

  return {
    async apply(providerId, r) {
      const found = await store.messages.findByProviderMessageId(r.providerMessageId);
      if (!found || (found.provider !== undefined && found.provider !== providerId)) {
        logger.warn('delivery report for an unknown message; acknowledged and ignored', {
          provider: providerId,
          providerMessageId: r.providerMessageId,
          providerStatus: r.providerStatus,
          ...(found ? { sentThrough: found.provider } : {}),
        });
        return { result: 'unknown-message' };
      }
      const log = forMessage(logger, found);
      if (r.status === undefined) return noteUnmapped(found, providerId, r, log);
      const parts = found.providerMessageIds?.length ?? 1;
      const { message, status, partChanged } = await target(found, { ...r, status: r.status });
      const detail = {
        provider: providerId,
        providerMessageId: r.providerMessageId,
        providerStatus: r.providerStatus,
        ...(r.errorCode ? { errorCode: r.errorCode } : {}),
        ...(parts > 1 ? { part: (found.providerMessageIds ?? []).indexOf(r.providerMessageId) + 1, parts } : {}),
      };
      if (message.status !== 'sent' || !canMoveTo(message.status, status)) {
        // Only a handed-over message moves on a report: while `sending`, the sender's outcome comes first.
        log.debug('delivery report changes nothing', { ...detail, status: message.status, reported: r.status, partChanged });
        return { result: 'unchanged', messageId: found.id, status: message.status };
      }
      const at = r.at ?? now();
      const failure = FAILURES.has(status);
      const moved = await store.messages.transition(found.id, ['sent'], status, {
        patch: {
          ...(status === 'delivered' ? { deliveredAt: at } : {}),
          ...(failure
            ? { error: { code: status.toUpperCase(), message: `${providerId} reported ${r.providerStatus}`, ...(r.errorCode ? { providerCode: r.errorCode } : {}) } }
            : {}),
        },
        providerStatus: r.providerStatus,
        reason: parts > 1 ? `delivery report for part ${detail.part} of ${parts}` : 'delivery report',
      });
      if (!moved) {
        // Another report moved it first, further than this one goes.
        const current = (await store.messages.get(found.id))?.status ?? message.status;
        log.debug('delivery report overtaken by another', { ...detail, status: current });
        return { result: 'unchanged', messageId: found.id, status: current };
      }
      void (deps.metering ?? NO_METERING).settle([moved]);
      const line = failure ? log.warn.bind(log) : log.info.bind(log);
      line('delivery report applied', { ...detail, status, ...(failure ? { error: moved.error } : {}) });
      return { result: 'applied', messageId: found.id, status };
    },
  };
}
