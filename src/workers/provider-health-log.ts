// Provider problems in the log: one line when a state changes (circuit open, half-open, closed;
// no usable provider for a channel; slowed down by 429s) and a summary at most every 30 s while
// it lasts, never a line per held message.
import type { Logger } from '../log/logger';
import type { CircuitChange } from './circuit';

export const SUMMARY_EVERY_MS = 30_000;

interface Episode {
  since: number;
  lastSummaryAt: number;
  /** Events since the last line (failed trials, 429s, messages held). */
  count: number;
}

export class ProviderHealthLog {
  private readonly circuits = new Map<string, Episode>();
  private readonly unusable = new Map<string, Episode>();
  private readonly slowed = new Map<string, Episode>();

  constructor(
    private readonly logger: Logger | undefined,
    private readonly clock: () => number,
  ) {}

  circuit(provider: string, c: CircuitChange): void {
    const now = this.clock();
    const ep = this.circuits.get(provider);
    if (c.to === 'closed') {
      this.circuits.delete(provider);
      this.logger?.info('provider circuit closed: calls succeed again', { provider, downForMs: c.downForMs });
    } else if (!ep) {
      if (c.to !== 'open') return;
      this.circuits.set(provider, { since: now, lastSummaryAt: now, count: 0 });
      this.logger?.warn('provider circuit open: consecutive failures; its messages wait or go to another provider', {
        provider, failures: c.failures, trialInMs: c.retryInMs,
      });
    } else if (c.to === 'half-open' && ep.count === 0) {
      this.logger?.info('provider circuit half-open: one trial at a time', { provider });
    } else if (c.to === 'open' && c.trialFailed) {
      ep.count++;
      this.summarise(ep, now, () =>
        this.logger?.warn('provider circuit still open', { provider, forMs: now - ep.since, failedTrials: ep.count, nextTrialInMs: c.retryInMs }),
      );
    }
  }

  /** A message of `channel` found no usable provider; `held` messages wait for one in this process. */
  noProvider(channel: string, held: number): void {
    const now = this.clock();
    const ep = this.unusable.get(channel);
    if (!ep) {
      this.unusable.set(channel, { since: now, lastSummaryAt: now, count: 0 });
      this.logger?.warn('no usable provider for the channel; holding its messages', { channel });
      return;
    }
    this.summarise(ep, now, () => this.logger?.warn('still no usable provider for the channel', { channel, forMs: now - ep.since, held }));
  }

  providerUsable(channel: string): void {
    const ep = this.unusable.get(channel);
    if (!ep) return;
    this.unusable.delete(channel);
    this.logger?.info('a provider is usable again for the channel', { channel, afterMs: this.clock() - ep.since });
  }

  /** The provider answered 429: its rate in this process is now `ratePerSecond`. */
  slowedDown(provider: string, ratePerSecond: number, retryAfterMs: number | undefined): void {
    const now = this.clock();
    const ep = this.slowed.get(provider);
    if (!ep) {
      this.slowed.set(provider, { since: now, lastSummaryAt: now, count: 0 });
      this.logger?.warn('provider asks to slow down (429); lowering its send rate', { provider, ratePerSecond, retryAfterMs });
      return;
    }
    ep.count++;
    this.summarise(ep, now, () => this.logger?.warn('provider still asking to slow down (429)', { provider, ratePerSecond, forMs: now - ep.since, rateLimited: ep.count }));
  }

  fullSpeed(provider: string): void {
    const ep = this.slowed.get(provider);
    if (!ep) return;
    this.slowed.delete(provider);
    this.logger?.info('provider back to its full send rate', { provider, afterMs: this.clock() - ep.since });
  }

  private summarise(ep: Episode, now: number, write: () => void): void {
    if (now - ep.lastSummaryAt < SUMMARY_EVERY_MS) return;
    write();
    ep.lastSummaryAt = now;
    ep.count = 0;
  }
}
