// Send slots of a rate-limited provider as a GCRA (generic cell rate algorithm): one number per
// provider, the theoretical arrival time (TAT) of the next send, shared by every process. Sends
// are spread `intervalMs` apart instead of bursting at the start of each second, so any window
// of one second holds at most the rate.

/** What a reservation found: the slot's start (epoch ms) when granted, else the earliest start on offer. */
export interface SlotAnswer {
  granted: boolean;
  /** Granted: when this send may go. Not granted: when the next free slot starts (beyond the wait). */
  at: number;
}

/**
 * The next slot after `tat` (0: none taken yet) for a caller at `now` who waits at most
 * `maxWaitMs`. Resolves the answer and the TAT to store when granted (unchanged otherwise).
 */
export function nextSlot(tat: number, now: number, intervalMs: number, maxWaitMs: number): { answer: SlotAnswer; tat: number } {
  const start = Math.max(tat, now);
  if (start - now > maxWaitMs) return { answer: { granted: false, at: start }, tat };
  return { answer: { granted: true, at: start }, tat: start + intervalMs };
}

/** Milliseconds between sends for `ratePerSecond`, with `guardMs` more per second so network jitter
 *  on the way to the provider cannot squeeze rate + 1 sends into one of its one-second windows. */
export function slotIntervalMs(ratePerSecond: number, guardMs: number): number {
  return (1000 + guardMs) / ratePerSecond;
}
