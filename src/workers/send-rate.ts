// How fast this process may send through each provider: the configured rate, held in every
// one-second window across processes by send slots shared through the store (GCRA), and lowered
// here when the provider answers 429 (multiplicative decrease at most once per Retry-After, a
// step back up per success, full rate again after 30 s without a 429).
import { nextSlot, slotIntervalMs, type SlotAnswer } from '../domain/send-slots';
import type { ProviderControlRepo } from '../store/store';
import type { ProviderHealthLog } from './provider-health-log';

const DECREASE_FACTOR = 0.8;
/** The lowest a 429 takes a provider without a configured rate (whose base is a noisy measure of the last second). */
const MIN_ADAPTIVE_RATE = 10;
const FULL_SPEED_AFTER_MS = 30_000;
/** Slots one send may miss (woken too late for) before its message goes back to the queue. */
const MAX_SLOT_TRIES = 5;

/**
 * How late after its slot a send may still go. Slots are (1000 + guard) / rate apart; a window of
 * one second at the provider then holds at most the rate while lateness plus the jitter on the way
 * (network, the provider's own clock) stays under guard - interval: a quarter of the guard here
 * leaves the rest for the way.
 */
export function lateMs(guardMs: number): number {
  return Math.max(5, guardMs / 4);
}

export type SlotResult = { ok: true } | { ok: false; retryInMs: number };
const STARTED: SlotResult = Object.freeze({ ok: true });

interface RateState {
  configured?: number;
  /** Lowered after a 429 (undefined: not lowered). */
  adaptive?: number;
  decreasedAt: number;
  last429At: number;
  /** The shared next-free-slot time as last seen here: a lower bound of the real one. */
  knownTat: number;
  /** knownTat plus the slots this process's messages are about to ask for (they passed `likelyFree`). */
  projectedTat: number;
  /** Store round trips of one provider go one at a time in this process (no compare-and-set storms). */
  chain: Promise<unknown>;
  /** Start times of the last second's sends, for the rate a 429 lowers when none is set. */
  starts: number[];
}

export interface SendRateOptions {
  slots?: Pick<ProviderControlRepo, 'reserveSlot'>;
  /** Longest a send waits for its slot. */
  maxWaitMs: number;
  /** Extra ms per second between slots (config providers.rateGuardMs). */
  guardMs: number;
  health: ProviderHealthLog;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
}

export class SendRate {
  private readonly states = new Map<string, RateState>();
  /** Slots kept in this process when there is no shared store (unit tests). */
  private readonly localTat = new Map<string, number>();
  /** Slots given up because the send woke too late for them (for tests and the bench). */
  missed = 0;

  constructor(private readonly opts: SendRateOptions) {}

  setConfigured(id: string, ratePerSecond: number | undefined): void {
    this.state(id).configured = ratePerSecond;
  }

  /** Sends per second this process keeps to now; undefined: unlimited. */
  effective(id: string): number | undefined {
    const s = this.state(id);
    if (s.adaptive === undefined) return s.configured;
    return s.configured === undefined ? s.adaptive : Math.min(s.configured, s.adaptive);
  }

  /**
   * Local guess, no I/O: a slot is likely within half the wait (the other half is left for other
   * processes). A yes counts one slot ahead here, so a crowd of messages does not all pass at once.
   */
  likelyFree(id: string): boolean {
    const rate = this.effective(id);
    if (rate === undefined) return true;
    const s = this.state(id);
    const now = this.opts.clock();
    const from = Math.max(s.projectedTat, s.knownTat, now);
    if (from - now > this.opts.maxWaitMs / 2) return false;
    s.projectedTat = from + slotIntervalMs(rate, this.opts.guardMs);
    return true;
  }

  /** When to look again after `likelyFree` said no: soon (the 1 s rung), slots free up continuously. */
  retryInMs(id: string): number {
    const s = this.state(id);
    return Math.min(1000, Math.max(250, Math.max(s.projectedTat, s.knownTat) - this.opts.clock() - this.opts.maxWaitMs / 2));
  }

  /**
   * Takes the next shared slot (waiting for it, at most maxWaitMs): call right before the provider call.
   * A send goes at its slot or not at all: one that wakes up more than `lateMs` after its slot (a
   * stalled event loop, a slow store answer) takes a fresh slot instead. Sends that went late would
   * bunch with the on-time sends after them and crowd a one-second window past the rate; the missed
   * slot stays unused, which only ever lowers the rate.
   */
  async reserve(id: string): Promise<SlotResult> {
    if (this.startNow(id)) return STARTED;
    const rate = this.effective(id)!;
    const s = this.state(id);
    const interval = slotIntervalMs(rate, this.opts.guardMs);
    for (let tries = 1; ; tries++) {
      const turn = s.chain.then(() => this.ask(id, interval));
      s.chain = turn.catch(() => undefined);
      const answer = await turn;
      s.knownTat = Math.max(s.knownTat, answer.granted ? answer.at + interval : answer.at);
      if (!answer.granted) return { ok: false, retryInMs: Math.min(1000, Math.max(250, answer.at - this.opts.clock() - this.opts.maxWaitMs / 2)) };
      const wait = answer.at - this.opts.clock();
      if (wait > 0) await this.opts.sleep(wait);
      if (this.opts.clock() - answer.at <= lateMs(this.opts.guardMs)) return this.started(s);
      this.missed++;
      if (tries >= MAX_SLOT_TRIES) return { ok: false, retryInMs: 250 };
    }
  }

  /** Without a rate (none configured, no 429 to adapt to) a send starts at once: counted, no promise made. False: `reserve` it. */
  startNow(id: string): boolean {
    if (this.effective(id) !== undefined) return false;
    this.started(this.state(id));
    return true;
  }

  /** The provider answered 429: lower this process's rate for it, at most once per Retry-After. */
  rateLimited(id: string, retryAfterMs: number | undefined): void {
    const now = this.opts.clock();
    const s = this.state(id);
    s.last429At = now;
    if (now - s.decreasedAt < Math.max(1000, retryAfterMs ?? 0)) return;
    const base = this.effective(id) ?? this.recentStarts(s, now);
    s.adaptive = Math.max(s.configured === undefined ? MIN_ADAPTIVE_RATE : 1, Math.floor(base * DECREASE_FACTOR));
    s.decreasedAt = now;
    this.opts.health.slowedDown(id, this.effective(id)!, retryAfterMs);
  }

  succeeded(id: string): void {
    const s = this.state(id);
    if (s.adaptive === undefined) return;
    s.adaptive += 1;
    const recovered = this.opts.clock() - s.last429At > FULL_SPEED_AFTER_MS || (s.configured !== undefined && s.adaptive >= s.configured);
    if (!recovered) return;
    s.adaptive = undefined;
    this.opts.health.fullSpeed(id);
  }

  private ask(id: string, interval: number): Promise<SlotAnswer> {
    const now = this.opts.clock();
    if (this.opts.slots) return this.opts.slots.reserveSlot(id, interval, this.opts.maxWaitMs, now);
    const { answer, tat } = nextSlot(this.localTat.get(id) ?? 0, now, interval, this.opts.maxWaitMs);
    this.localTat.set(id, tat);
    return Promise.resolve(answer);
  }

  private started(s: RateState): SlotResult {
    const now = this.opts.clock();
    s.starts.push(now);
    if (s.starts.length > 1000 || s.starts[0] < now - 1000) this.recentStarts(s, now);
    return STARTED;
  }

  /** Sends started in the last second (and forgets older ones). */
  private recentStarts(s: RateState, now: number): number {
    const keepFrom = s.starts.findIndex((t) => t >= now - 1000);
    s.starts.splice(0, keepFrom < 0 ? s.starts.length : keepFrom);
    return s.starts.length;
  }

  private state(id: string): RateState {
    let s = this.states.get(id);
    if (!s) {
      s = { decreasedAt: -Infinity, last429At: -Infinity, knownTat: 0, projectedTat: 0, chain: Promise.resolve(), starts: [] };
      this.states.set(id, s);
    }
    return s;
  }
}
