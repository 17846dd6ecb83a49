// What the dashboard reads and changes: the same services and store the API uses, never HTTP calls to itself.
import type { HeraldConfig } from '../../config';
import type { Logger } from '../../log/logger';
import type { BalanceWatch } from '../../services/credits';
import type { CampaignService } from '../../services/campaigns';
import type { Importer } from '../../services/campaigns/importer';
import type { NotificationService } from '../../services/notification-service';
import type { ProviderControlService } from '../../services/provider-control';
import type { KeyService } from '../../services/tenancy/keys';
import type { Store } from '../../store/store';

/** Average duration of provider calls made by this process, by provider id. */
export type ProviderLatency = () => Promise<Record<string, { calls: number; avgMs: number }>>;

/** The parts only the composition root has (runtime/index.ts passes them through HttpDeps.dashboard). */
export interface DashboardExtras {
  providers: ProviderControlService;
  balance?: BalanceWatch;
  /** Messages waiting per queue; rejects when the bus does not answer. */
  queueDepth?: () => Promise<Record<string, number>>;
  providerLatency?: ProviderLatency;
  /** Campaigns and CSV imports (the Campaigns page is shown when given). */
  campaigns?: { service: CampaignService; importer: Importer };
}

export interface DashboardDeps extends DashboardExtras {
  store: Store;
  config: HeraldConfig;
  logger: Logger;
  keys: KeyService;
  notifications: NotificationService;
}

/** What every page module gets: the dependencies and the role check for actions. */
export interface PageContext {
  deps: DashboardDeps;
  /** Middleware refusing (403) a viewer whose role is below `access`. */
  allow(access: import('../access').Access): import('./session').Handler;
}
