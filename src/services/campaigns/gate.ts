// What the channel worker asks before handing a campaign's message to a provider: is the campaign
// running (and through which provider), paused (hold the message, unsent), or cancelled?
// Campaigns are read at most once a second per process, so a pause reaches every worker within seconds.
import { HELD, type Campaign } from '../../domain/campaigns';
import { INSUFFICIENT_CREDIT } from '../../domain/credits';
import type { Store } from '../../store/store';

export type GateDecision = { action: 'send'; provider?: string; strict?: boolean } | { action: 'hold' } | { action: 'cancel' };

export interface CampaignGate {
  check(campaignId: string): Promise<GateDecision>;
}

const TTL_MS = 1_000;

export function createCampaignGate(store: Pick<Store, 'campaigns'>, ttlMs = TTL_MS): CampaignGate {
  /** One read per campaign per ttl, shared by every message asking meanwhile (a worker holds hundreds at once). */
  const cache = new Map<string, { at: number; campaign: Promise<Campaign | null> }>();
  function read(id: string): Promise<Campaign | null> {
    const hit = cache.get(id);
    if (hit && Date.now() - hit.at < ttlMs) return hit.campaign;
    const campaign = store.campaigns.get(id);
    if (cache.size > 10_000) cache.clear();
    cache.set(id, { at: Date.now(), campaign });
    // A failed read is not kept: the next message reads again.
    campaign.catch(() => cache.delete(id));
    return campaign;
  }
  return {
    async check(id) {
      const c = await read(id);
      if (!c || c.status === 'cancelled') return { action: 'cancel' };
      // Paused for credit: what was reserved before the balance ran out is paid for and goes out; nothing new is created.
      if (HELD.includes(c.status) && c.pauseReason !== INSUFFICIENT_CREDIT) return { action: 'hold' };
      return { action: 'send', provider: c.provider, strict: c.strictProvider === true };
    },
  };
}
