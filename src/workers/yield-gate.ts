// Work that can wait a little (a fan-out) lets HTTP requests go first: while requests are being served,
// it starts in rounds, every `roundMs` at most `perRound` of those waiting together (they then share
// their reads and writes: group commits), instead of each as soon as its delivery arrives. It is slowed
// while the server is busy, never stopped (a round always starts some); once none is left,
// the next round starts every one waiting, and new work starts at once.
export interface YieldGate {
  /** Resolves when the caller may start: at once when the server is not busy, else at a round. */
  enter(): Promise<void> | undefined;
  /** Releases every waiter now (shutdown). */
  close(): void;
}

export function createYieldGate(traffic: { busy(): boolean } | undefined, roundMs: number, perRound = 8): YieldGate {
  let waiting: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const round = (): void => {
    timer = undefined;
    const go = traffic?.busy() ? waiting.splice(0, perRound) : waiting.splice(0);
    if (waiting.length) timer = setTimeout(round, roundMs);
    for (const resolve of go) resolve();
  };
  return {
    enter() {
      if (!traffic?.busy()) return undefined;
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        timer ??= setTimeout(round, roundMs);
      });
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      const go = waiting;
      waiting = [];
      for (const resolve of go) resolve();
    },
  };
}
