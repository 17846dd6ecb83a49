// The campaign event hook: other parts (status webhooks, the dashboard) listen for a campaign
// that completed or paused, without the campaign code knowing them. In-process, best effort:
// a listener's failure is logged, never thrown; each process sees what its own ticker decides.
import type { Campaign } from '../../domain/campaigns';
import type { Logger } from '../../log/logger';

export type CampaignEventKind = 'completed' | 'paused' | 'cancelled';
export interface CampaignEvent {
  kind: CampaignEventKind;
  campaign: Campaign;
}
export type CampaignListener = (e: CampaignEvent) => void | Promise<void>;

export interface CampaignEvents {
  /** Calls `fn` for every campaign event from now on; resolves a function that stops it. */
  on(fn: CampaignListener): () => void;
  emit(e: CampaignEvent): void;
}

export function createCampaignEvents(logger?: Logger): CampaignEvents {
  const listeners = new Set<CampaignListener>();
  return {
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    emit(e) {
      for (const fn of listeners) {
        Promise.resolve()
          .then(() => fn(e))
          .catch((err: unknown) => logger?.warn('campaign event listener failed', { campaignId: e.campaign.id, kind: e.kind, error: (err as Error).message }));
      }
    },
  };
}
