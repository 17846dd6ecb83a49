// What a Herald process is started with and what it gives back (the CLI, the tests and the sender threads read these).
import type { Registry } from 'prom-client';
import type { Bus } from '../bus/bus';
import type { HeraldConfig } from '../config';
import type { Channel } from '../domain/types';
import type { Logger } from '../log/logger';
import type { CampaignEvents, CampaignService } from '../services/campaigns';
import type { NotificationService } from '../services/notification-service';
import type { SheetsExporter } from '../services/sheets';
import type { Store } from '../store/store';
import type { ProviderRouter } from '../workers/router';

/** `senders`: the sms and email workers in one of `herald all`'s sender threads (sender-threads.ts), no port of their own. */
export type Role = 'server' | 'sms' | 'email' | 'sheets' | 'all' | 'senders';

export interface StartOptions {
  role: Role;
  config: HeraldConfig;
  /** Name on every log line; defaults to herald-<role>. */
  processName?: string;
  /** Tests: keep stdout quiet. */
  silent?: boolean;
  /** Print the start-up summary to stdout. */
  banner?: boolean;
  /** On every log line beside the process name: which of its threads wrote it (a sender thread's). */
  thread?: string;
  /** A sender thread ended unexpectedly (`herald all`): this process no longer sends. The CLI exits non-zero. */
  onSenderThreadDeath?: (error: Error) => void;
}

export interface RunningHerald {
  config: HeraldConfig;
  store: Store;
  bus: Bus;
  logger: Logger;
  notifications: NotificationService;
  /** This thread's provider routers (none in `herald all` with sender threads: theirs are in the threads). */
  routers: Partial<Record<Channel, ProviderRouter>>;
  /** This process's metrics, its sender threads' included: what /metrics serves. */
  metrics: Registry;
  /** Campaigns as the API sees them, and the hook for campaign events (completed, paused, cancelled). */
  campaigns: { service: CampaignService; events: CampaignEvents };
  /** The Google Sheets exporter, in the sheets and all roles. */
  sheetsExporter?: SheetsExporter;
  /** Base URL of the HTTP server, for roles that serve one. */
  url?: string;
  /** Base URL of a worker's own port (/health/live, /health/ready, /metrics), for the sms and email roles. */
  opsUrl?: string;
  stop(): Promise<void>;
}
