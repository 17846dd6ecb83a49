// Work that can wait a little (a fan-out) lets HTTP requests go first: while requests keep arriving,
// it starts in rounds, every `roundMs` all those waiting together (they then share their reads and
// writes: group commits), instead of each as soon as its delivery arrives. It never waits longer than
// one round, so it is slowed while the server is busy, never stopped; with no request arriving it starts at once.
export interface YieldGate {
  /** Resolves when the caller may start: at once when the server is not busy, else at the next round. */
  enter(): Promise<void> | undefined;
  /** Releases every waiter now (shutdown). */
  close(): void;
}

export function createYieldGate(traffic: { busy(): boolean } | undefined, roundMs: number): YieldGate {
  let waiting: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const release = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const go = waiting;
    waiting = [];
    for (const resolve of go) resolve();
  };
  return {
    enter() {
      if (!traffic?.busy()) return undefined;
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        timer ??= setTimeout(release, roundMs);
      });
    },
    close: release,
  };
}
