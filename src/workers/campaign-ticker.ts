// Periodic campaign duties, every step a compare-and-set (several servers are safe): start the
// scheduled campaigns whose time came, complete the ones with nothing left to send, resume the
// ones paused for credit once the balance covers a message, and re-queue a run that went quiet.
import type { HeraldConfig } from '../config';
import type { Campaign } from '../domain/campaigns';
import type { MessageStatus } from '../domain/types';
import { INSUFFICIENT_CREDIT, messageCost } from '../domain/credits';
import { withIds, type Logger } from '../log/logger';
import type { CampaignEvents } from '../services/campaigns/events';
import type { Lifecycle } from '../services/campaigns/lifecycle';
import { pricesOf } from '../services/credits/pricing';
import type { Store } from '../store/store';
import { boundedStore, withinStoreTimeout } from '../store/call-timeout';
import { createPeriodic } from './periodic';

export interface CampaignTickerDeps {
  store: Store;
  lifecycle: Lifecycle;
  /**
   * store.callTimeoutMs: a store or lifecycle call still unanswered after this fails its step (StoreTimeoutError) and the round goes on
   * (lifecycle steps are compare-and-sets). Each call is bounded, not the step: a slow step making progress is never run again beside itself.
   */
  config: Pick<HeraldConfig, 'scheduler' | 'credits' | 'campaigns'> & { store?: { callTimeoutMs: number } };
  logger: Logger;
  events?: CampaignEvents;
  /**
   * Awaited before a campaign is marked completed (the `campaign.completed` webhook): a crash in
   * between announces it again on the next tick, under the same event id, so it is never missed.
   */
  announce?: (c: Campaign, counts: Partial<Record<MessageStatus, number>>) => Promise<void>;
  now?: () => Date;
  /** A running campaign whose run wrote nothing for this long gets its run queued again. */
  relayAfterMs?: number;
}

const BATCH = 200;
const PENDING = ['accepted', 'scheduled', 'queued', 'sending'] as const;
const FAR = new Date(8.64e15);

export function createCampaignTicker(deps: CampaignTickerDeps) {
  const { logger } = deps;
  const callTimeoutMs = deps.config.store?.callTimeoutMs ?? 0;
  const store = boundedStore(deps.store, callTimeoutMs);
  const bound = <T>(p: Promise<T>, what: string): Promise<T> => withinStoreTimeout(p, callTimeoutMs, what);
  const lifecycle = {
    start: (c: Campaign) => bound(deps.lifecycle.start(c), 'campaigns start'),
    publishRun: (id: string) => bound(deps.lifecycle.publishRun(id), 'campaigns publishRun'),
    resume: (c: Campaign) => bound(deps.lifecycle.resume(c), 'campaigns resume'),
  };
  const now = deps.now ?? (() => new Date());
  const relayAfterMs = deps.relayAfterMs ?? 30_000;

  async function startDue(): Promise<void> {
    if (!deps.config.campaigns.autoStart) return;
    for (const c of await store.campaigns.findDue(['scheduled'], now(), BATCH)) await lifecycle.start(c);
  }

  async function finishOrRelay(c: Campaign): Promise<void> {
    if (!c.run.finishedAt) {
      if (now().getTime() - c.updatedAt.getTime() > relayAfterMs) {
        await store.campaigns.update(c.id, { run: c.run }); // touch: one relay per period
        await lifecycle.publishRun(c.id);
        withIds(logger, { notificationId: c.id }).info('campaign run went quiet; queued again');
      }
      return;
    }
    const counts = await store.messages.countByStatus(c.id);
    if (PENDING.some((s) => (counts[s] ?? 0) > 0)) return;
    if (deps.announce) await bound(deps.announce(c, counts), 'campaigns announce');
    const done = await store.campaigns.transition(c.id, ['running'], 'completed');
    if (!done) return;
    withIds(logger, { notificationId: c.id, workspaceId: c.workspaceId }).info('campaign completed', { counts });
    deps.events?.emit({ kind: 'completed', campaign: done });
  }

  async function resumeFunded(c: Campaign): Promise<void> {
    if (c.pauseReason !== INSUFFICIENT_CREDIT) return;
    const acc = await store.credits.get(c.workspaceId);
    if (acc && acc.balance !== null && acc.balance < messageCost('sms', 1, pricesOf(acc, deps.config))) return;
    if (await lifecycle.resume(c)) withIds(logger, { notificationId: c.id }).info('balance covers messages again; campaign resumed');
  }

  async function tick(): Promise<void> {
    const steps: Array<[string, () => Promise<void>]> = [
      ['start', startDue],
      ['finish', async () => { for (const c of await store.campaigns.findDue(['running'], FAR, BATCH)) await finishOrRelay(c); }],
      ['resume', async () => { for (const c of await store.campaigns.findDue(['paused'], FAR, BATCH)) await resumeFunded(c); }],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (e) {
        logger.warn(`campaigns: ${name} failed; will try again`, { error: (e as Error).message });
      }
    }
  }

  return { tick, ...createPeriodic(() => tick(), deps.config.scheduler.intervalMs) };
}
