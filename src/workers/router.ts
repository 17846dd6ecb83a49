// Chooses a provider for each attempt: by weight when any usable provider has one, else by order;
// skipping paused providers, open circuits and (when another exists) the one that just failed for
// this message. A half-open circuit's single trial goes to the message that has waited longest;
// rates are kept by send slots shared through the store (send-rate.ts).
import type { Channel } from '../domain/types';
import type { Logger } from '../log/logger';
import type { Provider } from '../providers/types';
import type { ProviderActivity, ProviderControl, ProviderControlRepo } from '../store/store';
import { Circuit, type CircuitOptions, type CircuitState } from './circuit';
import { ProviderHealthLog } from './provider-health-log';
import { SendRate, type SlotResult } from './send-rate';

export type { CircuitOptions, CircuitState } from './circuit';

export interface RouterOptions {
  circuit?: CircuitOptions;
  /** Where send slots are shared; without it rates hold in this process only. */
  slots?: Pick<ProviderControlRepo, 'reserveSlot'>;
  /** Longest an attempt waits for its send slot before the message is put back. */
  maxSlotWaitMs?: number;
  /** Extra ms per second between send slots, for network jitter (default 100). */
  rateGuardMs?: number;
  logger?: Logger;
  clock?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A message waiting in this process for a usable provider; the one that waited longest gets a half-open trial. */
export interface Waiter {
  id: string;
  /** When the message started waiting to be sent (its creation). */
  since: number;
  /** Attempts it already made: more means it has waited through more of the provider's trouble. */
  attempts: number;
  /** Its next attempt is its last: it gets a trial only when no other waiter could take it. */
  lastChance: boolean;
}

/** A provider chosen for one attempt; `trial` when the attempt is its circuit's half-open trial. */
export interface Chosen {
  provider: Provider;
  trial: boolean;
}

interface ProviderState {
  provider: Provider;
  circuit: Circuit;
  paused: boolean;
  order: number;
  weight: number;
  ratePerSecond?: number;
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

function waitedLonger(a: Waiter, b: Waiter): boolean {
  if (a.attempts !== b.attempts) return a.attempts > b.attempts;
  return a.since !== b.since ? a.since < b.since : a.id < b.id;
}

const DEFAULT_CIRCUIT: CircuitOptions = { failureThreshold: 5, openMs: 30_000 };
/** How often a held message looks again for a usable provider (no I/O: the router's own state). */
const HOLD_POLL_MS = 100;

export class ProviderRouter {
  private readonly states: ProviderState[];
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly health: ProviderHealthLog;
  private readonly rate: SendRate;
  private readonly waiters = new Map<Channel, Map<string, Waiter>>();
  /** `states` when it holds one provider: what `ranked` answers while it is usable (read only). */
  private readonly onlyState: readonly ProviderState[];

  constructor(providers: Provider[], opts: RouterOptions = {}) {
    const circuit = opts.circuit ?? DEFAULT_CIRCUIT;
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.health = new ProviderHealthLog(opts.logger, this.clock);
    this.rate = new SendRate({ slots: opts.slots, maxWaitMs: opts.maxSlotWaitMs ?? 2000, guardMs: opts.rateGuardMs ?? 100, health: this.health, clock: this.clock, sleep: this.sleep });
    this.states = providers.map((provider, i) => {
      const s: ProviderState = { provider, paused: false, order: i, weight: 0, sent: 0, failed: 0, unreported: { sent: 0, failed: 0, openUntil: 0 } } as ProviderState;
      s.circuit = new Circuit(circuit, (c) => {
        if (c.to === 'open') s.unreported.openUntil = this.clock() + c.retryInMs;
        this.health.circuit(provider.id, c);
      });
      return s;
    });
    this.onlyState = this.states.length === 1 ? [this.states[0]] : [];
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
      this.rate.setConfigured(row.id, row.ratePerSecond);
    }
  }

  /**
   * Usable providers of the channel, most preferred first; `exclude`d ones last, as a fallback;
   * `never` ones (they refused the message for good) not at all. A half-open one counts while its trial is free.
   */
  candidates(channel: Channel, exclude: ReadonlySet<string> = new Set(), never: ReadonlySet<string> = new Set()): Provider[] {
    return this.ranked(channel, exclude, never).map((s) => s.provider);
  }

  /** The first candidate, ignoring rates and trials. */
  pick(channel: Channel, exclude: ReadonlySet<string> = new Set()): Provider | undefined {
    return this.candidates(channel, exclude)[0];
  }

  /**
   * The most preferred usable provider for this message, now, without waiting; one likely at its
   * rate is skipped for the next ('rate-limited' when that was all). A half-open provider is chosen
   * only as its trial, and only for the longest-waiting message here. Check and trial mark happen
   * in one turn: two attempts can never both be the trial.
   */
  choose(channel: Channel, exclude: ReadonlySet<string>, never: ReadonlySet<string>, who?: Waiter): Chosen | 'rate-limited' | undefined {
    const now = this.clock();
    let atRate = false;
    for (const s of this.ranked(channel, exclude, never)) {
      if (s.circuit.needsTrial(now) && !this.firstInLine(channel, who)) continue;
      this.health.providerUsable(channel);
      if (!this.rate.likelyFree(s.provider.id)) {
        atRate = true;
        continue;
      }
      return { provider: s.provider, trial: s.circuit.begin(now) };
    }
    return atRate ? 'rate-limited' : undefined;
  }

  /** Holds the message here (up to `maxMs`) until a provider is usable for it; undefined if none came. */
  async waitForProvider(channel: Channel, exclude: ReadonlySet<string>, never: ReadonlySet<string>, who: Waiter, maxMs: number): Promise<Chosen | 'rate-limited' | undefined> {
    const here = this.waiters.get(channel) ?? new Map<string, Waiter>();
    this.waiters.set(channel, here);
    here.set(who.id, who);
    const deadline = this.clock() + maxMs;
    try {
      for (;;) {
        const chosen = this.choose(channel, exclude, never, who);
        if (chosen) return chosen;
        this.health.noProvider(channel, here.size);
        if (this.clock() >= deadline) return undefined;
        await this.sleep(HOLD_POLL_MS);
      }
    } finally {
      here.delete(who.id);
    }
  }

  /** Takes the provider's next send slot, shared by every process, and waits for it: right before each call. */
  reserveSlot(id: string): Promise<SlotResult> {
    return this.rate.reserve(id);
  }

  /** The send slot at once when the provider has no rate to keep (no waiting, no promise); false: `reserveSlot`. */
  slotNow(id: string): boolean {
    return this.rate.startNow(id);
  }

  succeeded(c: Chosen): void {
    const s = this.find(c.provider.id);
    if (!s) return;
    s.sent++;
    s.unreported.sent++;
    s.circuit.succeeded(this.clock());
    this.rate.succeeded(s.provider.id);
  }

  failed(c: Chosen): void {
    const s = this.find(c.provider.id);
    if (!s) return;
    s.failed++;
    s.unreported.failed++;
    s.circuit.failed(this.clock(), c.trial);
  }

  /** A 429: back-pressure, not a fault. The provider is slowed down here; its circuit is left alone. */
  rateLimited(c: Chosen, retryAfterMs: number | undefined): void {
    this.find(c.provider.id)?.circuit.abandon(c.trial);
    this.rate.rateLimited(c.provider.id, retryAfterMs);
  }

  /** The attempt never reached the provider: its trial (if it was one) is free again. */
  abandon(c: Chosen): void {
    this.find(c.provider.id)?.circuit.abandon(c.trial);
  }

  /** Counters and circuit openings since the last call, to add to the shared state. */
  drainActivity(): Array<{ id: string } & ProviderActivity> {
    const out: Array<{ id: string } & ProviderActivity> = [];
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
      const circuit = s.circuit.state(now);
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
        consecutiveFailures: s.circuit.consecutiveFailures,
      };
    });
  }

  providers(): Provider[] {
    return this.states.map((s) => s.provider);
  }

  private ranked(channel: Channel, exclude: ReadonlySet<string>, never: ReadonlySet<string>): readonly ProviderState[] {
    const now = this.clock();
    if (this.states.length === 1) {
      // One provider configured: its list, made once, or none (no array per message).
      const s = this.states[0];
      return s.provider.channel === channel && !s.paused && !never.has(s.provider.id) && s.circuit.allows(now) ? this.onlyState : [];
    }
    const usable = this.states.filter((s) => s.provider.channel === channel && !s.paused && !never.has(s.provider.id) && s.circuit.allows(now));
    // One usable provider (the common case): nothing to order, no arrays made per message.
    if (usable.length <= 1) return usable;
    const byOrder = [...usable].sort((a, b) => a.order - b.order || (a.provider.id < b.provider.id ? -1 : 1));
    const weighted = this.weightedOrder(byOrder.filter((s) => s.weight > 0));
    const ranked = [...weighted, ...byOrder.filter((s) => s.weight <= 0)];
    return [...ranked.filter((s) => !exclude.has(s.provider.id)), ...ranked.filter((s) => exclude.has(s.provider.id))];
  }

  /** Is `who` the message that has waited longest here (most attempts behind it, then oldest; one whose
   *  next attempt is not its last first)? A fresh message never takes the trial from a held one. */
  private firstInLine(channel: Channel, who: Waiter | undefined): boolean {
    const here = [...(this.waiters.get(channel)?.values() ?? [])];
    if (who && !this.waiters.get(channel)?.has(who.id)) here.push(who);
    const pool = here.some((w) => !w.lastChance) ? here.filter((w) => !w.lastChance) : here;
    if (pool.length === 0) return true;
    const first = pool.reduce((a, b) => (waitedLonger(b, a) ? b : a));
    return first.id === who?.id;
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
