// A campaign's run: its recipients, walked in keyset batches from the campaign's cursor, become
// messages of the ordinary pipeline (reserved, stored, queued for the sms workers). Resumable:
// ids are deterministic and the cursor moves after each batch, so a rerun duplicates nothing.
import type { Bus, HandlerResult } from '../bus/bus';
import type { HeraldConfig } from '../config';
import type { Campaign } from '../domain/campaigns';
import { INSUFFICIENT_CREDIT } from '../domain/credits';
import { isExpired } from '../domain/window';
import { withIds, type Logger } from '../log/logger';
import { buildCampaignMessage } from '../services/campaigns/build';
import type { CampaignEvents } from '../services/campaigns/events';
import { NO_METERING, type Metering } from '../services/credits';
import type { Store } from '../store/store';

export interface CampaignRunnerDeps {
  store: Store;
  bus: Bus;
  config: Pick<HeraldConfig, 'dispatch' | 'sms'>;
  logger: Logger;
  metering?: Metering;
  events?: CampaignEvents;
  now?: () => Date;
}

/** A dispatch-queue body that is a campaign's run rather than a notification's fan-out. */
export function isCampaignJob(body: unknown): body is { campaignId: string } {
  return typeof (body as { campaignId?: unknown } | null)?.campaignId === 'string';
}

const REQUEUE_BATCH = 500;

export function createCampaignRunner(deps: CampaignRunnerDeps) {
  const { store, bus, logger } = deps;
  const metering = deps.metering ?? NO_METERING;
  const now = deps.now ?? (() => new Date());

  /** Publishes the ids to the sms queue (several per delivery), then marks them queued. */
  async function queue(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const per = deps.config.dispatch.messagesPerDelivery;
    const jobs: Array<Promise<void>> = [];
    for (let i = 0; i < ids.length; i += per) {
      const slice = ids.slice(i, i + per);
      jobs.push(bus.publish('sms', { messageIds: slice }, { messageId: `${slice[0]}+${slice.length}` }));
    }
    await Promise.all(jobs);
    await store.messages.transitionMany(ids, ['accepted'], 'queued');
  }

  /** Messages created before a pause were acked unsent by the workers (still queued): they go back on the queue. */
  async function requeueHeld(c: Campaign, log: Logger): Promise<void> {
    let ids: string[] = [];
    let total = 0;
    for await (const m of store.messages.stream({ notificationId: c.id }, REQUEUE_BATCH)) {
      if (m.status !== 'queued' && m.status !== 'accepted') continue;
      ids.push(m.id);
      if (ids.length >= REQUEUE_BATCH) {
        total += ids.length;
        await queue(ids);
        ids = [];
      }
    }
    total += ids.length;
    await queue(ids);
    if (total) log.info('campaign: held messages queued again', { messages: total });
  }

  async function walk(c: Campaign, log: Logger): Promise<HandlerResult> {
    let cursor = c.run.cursor;
    let total = c.run.messages;
    const owner = { id: c.id, workspaceId: c.workspaceId, campaignId: c.id };
    for (;;) {
      if (c.validUntil && isExpired(c.validUntil, now())) {
        log.warn('campaign: validity ended before every message was created; the rest stay unsent');
        break;
      }
      const batch = await store.campaigns.recipientsAfter(c.id, cursor, deps.config.dispatch.batchSize);
      if (batch.length === 0) break;
      const at = now();
      const built = batch.map((r) => buildCampaignMessage(c, r, deps.config.sms, at));
      const { messages } = await metering.admit(owner, built, at);
      // Not covered: not created at all (unsent, not failed); the cursor stops before the first of them.
      const short = messages.findIndex((m) => m.error?.code === 'INSUFFICIENT_CREDIT');
      const keep = messages.filter((m) => m.error?.code !== 'INSUFFICIENT_CREDIT');
      const inserted = new Set(await store.messages.insertMany(keep));
      await queue(keep.filter((m) => m.status === 'accepted' && inserted.has(m.id)).map((m) => m.id));
      total += inserted.size;
      cursor = short === -1 ? batch[batch.length - 1].contactId : short === 0 ? cursor : batch[short - 1].contactId;
      const current = await store.campaigns.update(c.id, { run: { ...c.run, cursor, messages: total } });
      log.debug('campaign batch queued', { recipients: batch.length, messages: inserted.size, cursor });
      if (short !== -1) {
        const paused = await store.campaigns.transition(c.id, ['running'], 'paused', { pauseReason: INSUFFICIENT_CREDIT });
        if (paused) {
          log.warn('campaign paused: the balance cannot cover the next message; it resumes after a top-up', { messages: total });
          deps.events?.emit({ kind: 'paused', campaign: paused });
        }
        return { action: 'ack' };
      }
      if (current?.status !== 'running') {
        log.info(`campaign ${current?.status ?? 'deleted'} during its run; stopping`);
        return { action: 'ack' };
      }
    }
    await store.campaigns.update(c.id, { run: { ...c.run, cursor, messages: total, finishedAt: now() } });
    log.info('campaign: every message created and queued', { messages: total });
    return { action: 'ack' };
  }

  return {
    async handle(body: unknown): Promise<HandlerResult> {
      if (!isCampaignJob(body) || body.campaignId === '') return { action: 'dead', reason: 'body has no campaignId' };
      const c = await store.campaigns.get(body.campaignId);
      if (!c) return { action: 'dead', reason: `campaign '${body.campaignId}' does not exist` };
      if (c.status !== 'running') return { action: 'ack' };
      const log = withIds(logger, { notificationId: c.id, workspaceId: c.workspaceId });
      if (c.run.messages > 0) await requeueHeld(c, log);
      if (c.run.finishedAt) return { action: 'ack' };
      log.info('campaign run started', { resumeAfter: c.run.cursor });
      return walk(c, log);
    },
  };
}
