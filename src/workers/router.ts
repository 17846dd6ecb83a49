// Chooses a provider for each attempt: by weight when any usable provider has one, else by order;
// skipping paused providers, open circuits and (when another exists) the one that just failed for
// this message; and never past a provider's rate, counted across every process by the store.
import type { Channel } from '../domain/types';
import type { Provider } from '../providers/types';
import type { ProviderControl, ProviderControlRepo } from '../store/store';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit stays open before one trial attempt. */
  openMs: number;
}

export interface RouterOptions {
  circuit?: CircuitOptions;
  /** Where rate-limit tokens come from; without it rates are not enforced. */
  tokens?: Pick<ProviderControlRepo, 'takeToken'>;
  /** Longest an attempt waits for the next second's tokens before it is put back. */
  maxTokenWaitMs?: number;
  clock?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

interface ProviderState {
  provider: Provider;
  paused: boolean;
  order: number;
  weight: number;
  ratePerSecond?: number;
  consecutiveFailures: number;
  openUntil: number;
  /** Half-open: when the single trial attempt started (0: none running). */
  trialSince: number;
  sent: number;
  failed: number;
  /** Not yet added to the shared counters. */
  unreported: { sent: number; failed: number; openUntil: number };
}

export interface ProviderStatus {
  id: string;
  type: string;
  channel: Channel;
  state: 'active' | 'paused' | 'open';
  circuit: CircuitState;
  order: number;
  weight: number;
  ratePerSecond?: number;
  sent: number;
  failed: number;
  consecutiveFailures: number;
}

/** What `acquire` found: a provider holding a send token, or why there is none right now. */
export type Acquired = { provider: Provider } | { provider: undefined; reason: 'no-provider' | 'rate-limited'; retryInMs: number };

const DEFAULT_CIRCUIT: CircuitOptions = { failureThreshold: 5, openMs: 30_000 };

export class ProviderRouter {
  private readonly states: ProviderState[];
  private readonly circuit: CircuitOptions;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    providers: Provider[],
    private readonly opts: RouterOptions = {},
  ) {
    this.circuit = opts.circuit ?? DEFAULT_CIRCUIT;
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.states = providers.map((provider, i) => ({
      provider,
      paused: false,
      order: i,
      weight: 0,
      consecutiveFailures: 0,
      openUntil: 0,
      trialSince: 0,
      sent: 0,
      failed: 0,
      unreported: { sent: 0, failed: 0, openUntil: 0 },
    }));
  }

  /** Takes the shared routing state (pause, order, weight, rate) read from the store. */
  applyControl(rows: Array<Pick<ProviderControl, 'id' | 'paused' | 'order' | 'weight' | 'ratePerSecond'>>): void {
    for (const row of rows) {
      const s = this.find(row.id);
      if (!s) continue;
      s.paused = row.paused;
      s.order = row.order;
      s.weight = row.weight;
      s.ratePerSecond = row.ratePerSecond;
    }
  }

  /**
   * Usable providers of the channel, most preferred first; `exclude`d ones last, as a fallback;
   * `never` ones (they refused the message for good) not at all.
   */
  candidates(channel: Channel, exclude: ReadonlySet<string> = new Set(), never: ReadonlySet<string> = new Set()): Provider[] {
    const now = this.clock();
    const usable = this.states.filter((s) => s.provider.channel === channel && !s.paused && !never.has(s.provider.id) && this.circuitAllows(s, now));
    const byOrder = [...usable].sort((a, b) => a.order - b.order || (a.provider.id < b.provider.id ? -1 : 1));
    const weighted = this.weightedOrder(byOrder.filter((s) => s.weight > 0));
    const ranked = [...weighted, ...byOrder.filter((s) => s.weight <= 0)];
    return [...ranked.filter((s) => !exclude.has(s.provider.id)), ...ranked.filter((s) => exclude.has(s.provider.id))].map((s) => s.provider);
  }

  /** The first candidate, ignoring rates. */
  pick(channel: Channel, exclude: ReadonlySet<string> = new Set()): Provider | undefined {
    return this.candidates(channel, exclude)[0];
  }

  /**
   * The most preferred provider that has a send token this second. When every candidate is at
   * its rate, waits for the next second (at most maxTokenWaitMs) rather than exceed one.
   */
  async acquire(channel: Channel, exclude: ReadonlySet<string> = new Set(), never: ReadonlySet<string> = new Set()): Promise<Acquired> {
    const deadline = this.clock() + (this.opts.maxTokenWaitMs ?? 2000);
    for (;;) {
      const list = this.candidates(channel, exclude, never);
      if (list.length === 0) return { provider: undefined, reason: 'no-provider', retryInMs: 5000 };
      for (const p of list) {
        if (await this.takeToken(p.id)) return { provider: this.startAttempt(p) };
      }
      const toNextSecond = 1000 - (this.clock() % 1000) + Math.floor(this.random() * 20);
      if (this.clock() + toNextSecond > deadline) return { provider: undefined, reason: 'rate-limited', retryInMs: toNextSecond };
      await this.sleep(toNextSecond);
    }
  }

  /** One more token for a provider already chosen (the next part of a long SMS); waits like acquire. */
  async throttle(id: string): Promise<boolean> {
    const deadline = this.clock() + (this.opts.maxTokenWaitMs ?? 2000);
    for (;;) {
      if (await this.takeToken(id)) return true;
      const toNextSecond = 1000 - (this.clock() % 1000);
      if (this.clock() + toNextSecond > deadline) return false;
      await this.sleep(toNextSecond);
    }
  }

  succeeded(id: string): void {
    const s = this.find(id);
    if (!s) return;
    s.sent++;
    s.unreported.sent++;
    s.consecutiveFailures = 0;
    s.openUntil = 0;
    s.trialSince = 0;
  }

  failed(id: string): void {
    const s = this.find(id);
    if (!s) return;
    s.failed++;
    s.unreported.failed++;
    s.consecutiveFailures++;
    s.trialSince = 0;
    if (s.consecutiveFailures >= this.circuit.failureThreshold) {
      s.openUntil = this.clock() + this.circuit.openMs;
      s.unreported.openUntil = s.openUntil;
    }
  }

  /** Counters and circuit openings since the last call, to add to the shared state. */
  drainActivity(): Array<{ id: string; sent: number; failed: number; circuitOpenUntil?: Date }> {
    const out: Array<{ id: string; sent: number; failed: number; circuitOpenUntil?: Date }> = [];
    for (const s of this.states) {
      const u = s.unreported;
      if (u.sent === 0 && u.failed === 0 && u.openUntil === 0) continue;
      out.push({ id: s.provider.id, sent: u.sent, failed: u.failed, ...(u.openUntil ? { circuitOpenUntil: new Date(u.openUntil) } : {}) });
      s.unreported = { sent: 0, failed: 0, openUntil: 0 };
    }
    return out;
  }

  /** Providers of a channel that could take a message now. */
  available(channel: Channel): number {
    return this.candidates(channel).length;
  }

  status(): ProviderStatus[] {
    const now = this.clock();
    return this.states.map((s) => {
      const circuit = this.circuitState(s, now);
      return {
        id: s.provider.id,
        type: s.provider.type,
        channel: s.provider.channel,
        state: s.paused ? 'paused' : circuit === 'open' ? 'open' : 'active',
        circuit,
        order: s.order,
        weight: s.weight,
        ...(s.ratePerSecond !== undefined ? { ratePerSecond: s.ratePerSecond } : {}),
        sent: s.sent,
        failed: s.failed,
        consecutiveFailures: s.consecutiveFailures,
      };
    });
  }

  providers(): Provider[] {
    return this.states.map((s) => s.provider);
  }

  private async takeToken(id: string): Promise<boolean> {
    const s = this.find(id);
    if (!s?.ratePerSecond || !this.opts.tokens) return true;
    return this.opts.tokens.takeToken(id, Math.floor(this.clock() / 1000), s.ratePerSecond);
  }

  /** Marks the half-open trial as running, so other attempts keep away until it reports. */
  private startAttempt(p: Provider): Provider {
    const s = this.find(p.id)!;
    if (this.circuitState(s, this.clock()) === 'half-open') s.trialSince = this.clock();
    return p;
  }

  private circuitState(s: ProviderState, now: number): CircuitState {
    if (s.consecutiveFailures < this.circuit.failureThreshold) return 'closed';
    return s.openUntil > now ? 'open' : 'half-open';
  }

  /** Closed: yes. Open: no. Half-open: one trial at a time (a trial that never reports is given up after openMs). */
  private circuitAllows(s: ProviderState, now: number): boolean {
    const c = this.circuitState(s, now);
    if (c !== 'half-open') return c === 'closed';
    return s.trialSince === 0 || now - s.trialSince > this.circuit.openMs;
  }

  /** Weighted random order without replacement: the first is drawn with probability weight / total. */
  private weightedOrder(list: ProviderState[]): ProviderState[] {
    const pool = [...list];
    const out: ProviderState[] = [];
    while (pool.length) {
      const total = pool.reduce((sum, s) => sum + s.weight, 0);
      let r = this.random() * total;
      let i = 0;
      while (i < pool.length - 1 && r >= pool[i].weight) r -= pool[i++].weight;
      out.push(pool.splice(i, 1)[0]);
    }
    return out;
  }

  private find(id: string): ProviderState | undefined {
    return this.states.find((s) => s.provider.id === id);
  }
}
