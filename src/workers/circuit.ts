// One provider's circuit breaker in one process. Closed: every attempt goes. Open: none, for a
// spell that starts short and doubles with each failed trial up to `openMs`, so a provider that
// recovers is found again within seconds and one that stays down is asked rarely. Half-open:
// exactly one trial at a time, marked in the same turn as the check (no await between them).

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** Longest an open circuit waits before its next trial. */
  openMs: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** What changed, for the provider health log. */
export type CircuitChange =
  | { to: 'open'; failures: number; trialFailed: boolean; retryInMs: number }
  | { to: 'half-open' }
  | { to: 'closed'; downForMs: number };

/** The first spell of an open circuit: short, so a provider failing only some calls is tried again soon. */
const FIRST_SPELL_MS = 1_000;

export class Circuit {
  consecutiveFailures = 0;
  /** When the circuit opened (0: closed). */
  private openedAt = 0;
  private openUntil = 0;
  private spellMs = 0;
  /** When the running half-open trial started (0: none). */
  private trialSince = 0;
  private announcedHalfOpen = false;

  constructor(
    private readonly opts: CircuitOptions,
    private readonly onChange: (c: CircuitChange) => void = () => undefined,
  ) {}

  state(now: number): CircuitState {
    if (this.openedAt === 0) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** When the current open spell ends (0: closed). */
  get reopensAt(): number {
    return this.openedAt === 0 ? 0 : this.openUntil;
  }

  /** Could an attempt start now? Half-open: only while no trial runs (one that never reports is given up after openMs). */
  allows(now: number): boolean {
    const s = this.state(now);
    if (s !== 'half-open') return s === 'closed';
    if (!this.announcedHalfOpen) {
      this.announcedHalfOpen = true;
      this.onChange({ to: 'half-open' });
    }
    return this.trialSince === 0 || now - this.trialSince > this.opts.openMs;
  }

  /** True when an attempt starting now would be the half-open trial. */
  needsTrial(now: number): boolean {
    return this.state(now) === 'half-open';
  }

  /** Starts an attempt; call right after `allows` in the same turn. Resolves whether it is the trial. */
  begin(now: number): boolean {
    if (this.state(now) !== 'half-open') return false;
    this.trialSince = now;
    return true;
  }

  /** The trial never reached the provider (claim lost, no send slot): another may take it. */
  abandon(trial: boolean): void {
    if (trial) this.trialSince = 0;
  }

  succeeded(now: number): void {
    this.consecutiveFailures = 0;
    this.trialSince = 0;
    if (this.openedAt === 0) return;
    const downForMs = now - this.openedAt;
    this.openedAt = 0;
    this.openUntil = 0;
    this.spellMs = 0;
    this.onChange({ to: 'closed', downForMs });
  }

  /** A failed attempt: counts while closed; a failed trial opens again for a longer spell; stragglers that
   *  started before the circuit opened change nothing. */
  failed(now: number, trial: boolean): void {
    this.consecutiveFailures++;
    if (this.openedAt === 0) {
      if (this.consecutiveFailures < this.opts.failureThreshold) return;
      this.openedAt = now;
      this.open(now, Math.min(FIRST_SPELL_MS, this.opts.openMs), false);
    } else if (trial) {
      this.trialSince = 0;
      this.open(now, Math.min(this.spellMs * 2, this.opts.openMs), true);
    }
  }

  private open(now: number, spellMs: number, trialFailed: boolean): void {
    this.spellMs = spellMs;
    this.openUntil = now + spellMs;
    this.announcedHalfOpen = false;
    this.onChange({ to: 'open', failures: this.consecutiveFailures, trialFailed, retryInMs: spellMs });
  }
}
