// The storage contract of providers' shared run-time state: routing, counters, circuits, send slots.
import type { SlotAnswer } from '../domain/send-slots';
import type { Channel } from '../domain/types';

/** Run-time routing state of one provider instance, shared by every process. */
export interface ProviderControl {
  /** Provider instance id from configuration. */
  id: string;
  channel: Channel;
  paused: boolean;
  /** Lower goes first when routing by order. */
  order: number;
  /** Share of traffic when routing by weight; 0 leaves the provider to the order. */
  weight: number;
  /** Messages (parts) per second across all processes; absent: unlimited. */
  ratePerSecond?: number;
  /** Hand-offs and failed attempts, summed over every worker process. */
  sent: number;
  failed: number;
  /** Latest end of an open circuit any worker reported. */
  circuitOpenUntil?: Date;
  updatedAt: Date;
}

/** One process's routing activity for a provider since its last report. */
export interface ProviderActivity {
  sent: number;
  failed: number;
  circuitOpenUntil?: Date;
}

export type NewProviderControl = Pick<ProviderControl, 'id' | 'channel' | 'paused' | 'order' | 'weight' | 'ratePerSecond'>;
/** `ratePerSecond: undefined` (key present) removes the limit. */
export type ProviderControlPatch = Partial<Pick<ProviderControl, 'paused' | 'order' | 'weight' | 'ratePerSecond'>>;

export interface ProviderControlRepo {
  /** Every provider, by channel then order then id. */
  list(): Promise<ProviderControl[]>;
  get(id: string): Promise<ProviderControl | null>;
  /** Inserts the provider when its id is new; an existing one is left as operators set it. Resolves the stored state. */
  ensure(initial: NewProviderControl): Promise<ProviderControl>;
  /** Changes the given fields; null when the id is unknown. */
  update(id: string, patch: ProviderControlPatch): Promise<ProviderControl | null>;
  /** Adds counters and raises circuitOpenUntil (never lowers it); unknown ids are ignored. */
  recordActivity(id: string, delta: ProviderActivity): Promise<void>;
  /**
   * Reserves the provider's next send slot, shared by every process (GCRA, src/domain/send-slots.ts):
   * slots at least `intervalMs` apart, granted only when one starts within `maxWaitMs` of `now`
   * (epoch ms). Not granted: `at` says when the next free one starts.
   */
  reserveSlot(providerId: string, intervalMs: number, maxWaitMs: number, now: number): Promise<SlotAnswer>;
}
