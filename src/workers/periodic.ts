// A duty repeated every interval, one round at a time; stop waits for the round in hand.

export interface Periodic {
  start(): void;
  stop(): Promise<void>;
}

/** Runs `round` now and again `intervalMs` after each round ends (never two at once). */
export function createPeriodic(round: () => Promise<void>, intervalMs: number): Periodic {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  function loop(): void {
    if (stopped) return;
    running = round().finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(loop, intervalMs);
    });
  }

  return {
    start(): void {
      stopped = false;
      loop();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
