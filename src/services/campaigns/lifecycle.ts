// A campaign's status changes, shared by the API and the ticker: every one a compare-and-set, so
// two callers (two servers, a click and the scheduler) can never both start or cancel it.
import type { Bus } from '../../bus/bus';
import type { Campaign } from '../../domain/campaigns';
import { withIds, type Logger } from '../../log/logger';
import type { Store } from '../../store/store';
import { NO_METERING, type Metering } from '../credits';
import type { CampaignEvents } from './events';

export interface LifecycleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  metering?: Metering;
  events?: CampaignEvents;
  now?: () => Date;
}

const CANCEL_BATCH = 500;

export function createLifecycle(deps: LifecycleDeps) {
  const { store, bus, logger } = deps;
  const metering = deps.metering ?? NO_METERING;
  const now = deps.now ?? (() => new Date());
  const publishRun = (id: string) => bus.publish('dispatch', { campaignId: id }, { messageId: `campaign:${id}:${now().getTime()}` });
  /** The end of a campaign's validity counted from a past send time within it, else from now. */
  const validFrom = (c: Campaign): Date => {
    const at = now();
    const from = c.sendAt && c.sendAt < at ? c.sendAt : at;
    return new Date(from.getTime() + c.validityHours * 3_600_000);
  };
  const log = (c: Campaign) => withIds(logger, { notificationId: c.id, workspaceId: c.workspaceId });

  return {
    publishRun,
    /** draft or scheduled -> running: its validity starts (from a past send time within it, else now); the run is queued. */
    async start(c: Campaign, opts: { provider?: string; strictProvider?: boolean } = {}): Promise<Campaign | null> {
      const at = now();
      const started = await store.campaigns.transition(c.id, ['draft', 'scheduled'], 'running', {
        validUntil: validFrom(c),
        run: { ...c.run, startedAt: at },
        ...(opts.provider ? { provider: opts.provider } : {}),
        ...(opts.strictProvider !== undefined ? { strictProvider: opts.strictProvider } : {}),
      });
      if (!started) return null;
      await publishRun(c.id);
      log(c).info('campaign started', { recipients: c.recipients, provider: started.provider });
      return started;
    },
    async pause(c: Campaign, reason = 'operator'): Promise<Campaign | null> {
      const paused = await store.campaigns.transition(c.id, ['running', 'scheduled'], 'paused', { pauseReason: reason });
      if (paused) {
        log(c).info('campaign paused', { reason });
        deps.events?.emit({ kind: 'paused', campaign: paused });
      }
      return paused;
    },
    /** paused -> running (or back to scheduled when it never started and its time has not come); held messages go out again. */
    async resume(c: Campaign): Promise<Campaign | null> {
      const notYet = !c.run.startedAt && c.sendAt && c.sendAt > now();
      const resumed = await store.campaigns.transition(c.id, ['paused'], notYet ? 'scheduled' : 'running', { pauseReason: undefined });
      if (!resumed) return null;
      let current: Campaign | null = resumed;
      if (resumed.status === 'running') {
        // Paused before its time came: its validity starts now, as a start's would.
        if (!resumed.validUntil) current = await store.campaigns.update(c.id, { validUntil: validFrom(resumed), run: { ...resumed.run, startedAt: now() } });
        await publishRun(c.id);
      }
      log(c).info('campaign resumed');
      return current;
    },
    /** Any unfinished campaign -> cancelled: its unsent messages end cancelled (and refunded); no more are created. */
    async cancel(c: Campaign): Promise<Campaign | null> {
      const cancelled = await store.campaigns.transition(c.id, ['draft', 'scheduled', 'running', 'paused'], 'cancelled', { pauseReason: undefined });
      if (!cancelled) return null;
      let ids: string[] = [];
      const flush = async () => {
        const moved = await store.messages.transitionEachReturning(ids.map((id) => ({ id, from: ['accepted', 'scheduled', 'queued'], to: 'cancelled', opts: { reason: 'campaign cancelled' } })));
        await metering.settle(moved.filter((m): m is NonNullable<typeof m> => m !== null));
        ids = [];
      };
      for await (const m of store.messages.stream({ notificationId: c.id }, CANCEL_BATCH)) {
        if (!['accepted', 'scheduled', 'queued'].includes(m.status)) continue;
        ids.push(m.id);
        if (ids.length >= CANCEL_BATCH) await flush();
      }
      if (ids.length) await flush();
      log(c).info('campaign cancelled');
      deps.events?.emit({ kind: 'cancelled', campaign: cancelled });
      return cancelled;
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
