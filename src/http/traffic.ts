// How busy this process's HTTP server is, for work that can wait a little: the fan-out lets the
// requests go first while there are some (workers/yield-gate.ts).

export interface RequestTraffic {
  /** Counts a request until its response is done or its connection closed ('close' comes once either way). */
  seen(res: { once(event: 'close', listener: () => void): unknown }): void;
  /** True while requests are being served (a stalled event loop does not make them look gone). */
  busy(): boolean;
}

export function createRequestTraffic(): RequestTraffic {
  let inFlight = 0;
  const done = (): void => {
    inFlight--;
  };
  return {
    seen(res) {
      inFlight++;
      res.once('close', done);
    },
    busy: () => inFlight > 0,
  };
}
