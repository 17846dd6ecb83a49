// Chooses a provider for each attempt: the configured order, skipping the one that just
// failed for this message and any whose circuit is open after repeated failures.
import type { Channel } from '../domain/types';
import type { Provider } from '../providers/types';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit stays open before one trial attempt. */
  openMs: number;
}

interface ProviderState {
  provider: Provider;
  paused: boolean;
  consecutiveFailures: number;
  openUntil: number;
  sent: number;
  failed: number;
}

export interface ProviderStatus {
  id: string;
  type: string;
  channel: Channel;
  state: 'active' | 'paused' | 'open';
  sent: number;
  failed: number;
  consecutiveFailures: number;
}

export class ProviderRouter {
  private readonly states: ProviderState[];

  constructor(
    providers: Provider[],
    private readonly circuit: CircuitOptions = { failureThreshold: 5, openMs: 30_000 },
    private readonly clock: () => number = Date.now,
  ) {
    this.states = providers.map((provider) => ({ provider, paused: false, consecutiveFailures: 0, openUntil: 0, sent: 0, failed: 0 }));
  }

  /** First usable provider for the channel not in `exclude`; falls back to an excluded one rather than none. */
  pick(channel: Channel, exclude: ReadonlySet<string> = new Set()): Provider | undefined {
    const now = this.clock();
    const usable = this.states.filter((s) => s.provider.channel === channel && !s.paused && s.openUntil <= now);
    return (usable.find((s) => !exclude.has(s.provider.id)) ?? usable[0])?.provider;
  }

  succeeded(id: string): void {
    const s = this.find(id);
    if (!s) return;
    s.sent++;
    s.consecutiveFailures = 0;
    s.openUntil = 0;
  }

  failed(id: string): void {
    const s = this.find(id);
    if (!s) return;
    s.failed++;
    s.consecutiveFailures++;
    if (s.consecutiveFailures >= this.circuit.failureThreshold) s.openUntil = this.clock() + this.circuit.openMs;
  }

  setPaused(id: string, paused: boolean): boolean {
    const s = this.find(id);
    if (s) s.paused = paused;
    return Boolean(s);
  }

  /** Providers of a channel that could take a message now. */
  available(channel: Channel): number {
    const now = this.clock();
    return this.states.filter((s) => s.provider.channel === channel && !s.paused && s.openUntil <= now).length;
  }

  status(): ProviderStatus[] {
    const now = this.clock();
    return this.states.map((s) => ({
      id: s.provider.id,
      type: s.provider.type,
      channel: s.provider.channel,
      state: s.paused ? 'paused' : s.openUntil > now ? 'open' : 'active',
      sent: s.sent,
      failed: s.failed,
      consecutiveFailures: s.consecutiveFailures,
    }));
  }

  providers(): Provider[] {
    return this.states.map((s) => s.provider);
  }

  private find(id: string): ProviderState | undefined {
    return this.states.find((s) => s.provider.id === id);
  }
}
