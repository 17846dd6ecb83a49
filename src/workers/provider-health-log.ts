// Provider problems in the log, as episodes: one line when trouble starts (circuit open; no usable
// provider for a channel; slowed down by 429s), one when it first clears, and while it lasts or
// flaps a summary at most every 30 s; never a line per held message. An episode ends once the
// trouble stayed cleared for 30 s.
import type { Logger } from '../log/logger';
import type { CircuitChange } from './circuit';

export const SUMMARY_EVERY_MS = 30_000;

interface Episode {
  since: number;
  lastLineAt: number;
  /** When the trouble last cleared (undefined: going on). */
  clearedAt?: number;
  clearLogged: boolean;
  halfOpenLogged: boolean;
  /** Events since the last line (openings, failed trials, 429s, held messages). */
  events: number;
}

type Line = (ep: Episode, now: number) => void;

export class ProviderHealthLog {
  private readonly episodes = new Map<string, Episode>();

  constructor(
    private readonly logger: Logger | undefined,
    private readonly clock: () => number,
  ) {}

  circuit(provider: string, c: CircuitChange): void {
    const key = `circuit:${provider}`;
    if (c.to === 'closed') {
      this.clear(key, (ep, now) => this.logger?.info('provider circuit closed: calls succeed again', { provider, troubleForMs: now - ep.since, downForMs: c.downForMs }));
    } else if (c.to === 'half-open') {
      const ep = this.episodes.get(key);
      if (!ep || ep.halfOpenLogged) return;
      ep.halfOpenLogged = true;
      this.logger?.info('provider circuit half-open: one trial at a time', { provider });
    } else {
      this.trouble(
        key,
        () => this.logger?.warn('provider circuit open: consecutive failures; its messages wait or go to another provider', { provider, failures: c.failures, trialInMs: c.retryInMs }),
        (ep, now) => this.logger?.warn('provider circuit still troubled', { provider, forMs: now - ep.since, openingsAndFailedTrials: ep.events, nextTrialInMs: c.retryInMs }),
      );
    }
  }

  /** A message of `channel` found no usable provider; `held` messages wait for one in this process. */
  noProvider(channel: string, held: number): void {
    this.trouble(
      `channel:${channel}`,
      () => this.logger?.warn('no usable provider for the channel; holding its messages', { channel }),
      (ep, now) => this.logger?.warn('still no usable provider for the channel at times', { channel, forMs: now - ep.since, held }),
      false,
    );
  }

  providerUsable(channel: string): void {
    // Asked at every provider choice: nothing to clear (the usual case) makes no key and no line closure.
    if (this.episodes.size === 0) return;
    this.clear(`channel:${channel}`, (ep, now) => this.logger?.info('a provider is usable again for the channel', { channel, afterMs: now - ep.since }));
  }

  /** The provider answered 429: its rate in this process is now `ratePerSecond`. */
  slowedDown(provider: string, ratePerSecond: number, retryAfterMs: number | undefined): void {
    this.trouble(
      `rate:${provider}`,
      () => this.logger?.warn('provider asks to slow down (429); lowering its send rate', { provider, ratePerSecond, retryAfterMs }),
      (ep, now) => this.logger?.warn('provider still asking to slow down (429)', { provider, ratePerSecond, forMs: now - ep.since, slowdowns: ep.events }),
    );
  }

  fullSpeed(provider: string): void {
    this.clear(`rate:${provider}`, (ep, now) => this.logger?.info('provider back to its full send rate', { provider, afterMs: now - ep.since }));
  }

  /** Trouble (again): the first line of an episode at once, then a summary at most every 30 s. */
  private trouble(key: string, start: () => void, summary: Line, countsAsEvent = true): void {
    const now = this.clock();
    let ep = this.episodes.get(key);
    if (ep?.clearedAt !== undefined && now - ep.clearedAt >= SUMMARY_EVERY_MS) ep = undefined;
    if (!ep) {
      this.episodes.set(key, { since: now, lastLineAt: now, clearLogged: false, halfOpenLogged: false, events: 0 });
      start();
      return;
    }
    if (ep.clearedAt !== undefined || countsAsEvent) ep.events++;
    ep.clearedAt = undefined;
    if (now - ep.lastLineAt < SUMMARY_EVERY_MS) return;
    summary(ep, now);
    ep.lastLineAt = now;
    ep.events = 0;
  }

  /** The trouble cleared: said the first time, and after that only when no line came for 30 s. */
  private clear(key: string, line: Line): void {
    const now = this.clock();
    const ep = this.episodes.get(key);
    if (!ep || ep.clearedAt !== undefined) return;
    ep.clearedAt = now;
    if (ep.clearLogged && now - ep.lastLineAt < SUMMARY_EVERY_MS) return;
    line(ep, now);
    ep.clearLogged = true;
    ep.lastLineAt = now;
  }
}
