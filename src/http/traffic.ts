// How busy this process's HTTP server is, for work that can wait a little: the fan-out lets the
// requests go first while there are some (workers/yield-gate.ts).

/** Emitted on a response held open as an event stream (see `streaming`). */
const STREAMING = 'herald:streaming';

export interface RequestTraffic {
  /** Counts a request until its response is done, its connection closed ('close' comes once either way), or it turns into an event stream. */
  seen(res: { once(event: string, listener: () => void): unknown }): void;
  /** True while requests are being served (a stalled event loop does not make them look gone). */
  busy(): boolean;
}

/**
 * A response now held open as an event stream (the dashboard's live parts, the balance stream): it is
 * no longer a request being served. Counted until it closes, a dashboard left open would keep the
 * fan-out in rounds for as long as it stays open.
 */
export function streaming(res: { emit(event: string): unknown }): void {
  res.emit(STREAMING);
}

export function createRequestTraffic(): RequestTraffic {
  let inFlight = 0;
  return {
    seen(res) {
      inFlight++;
      let counted = true;
      const done = (): void => {
        if (!counted) return;
        counted = false;
        inFlight--;
      };
      res.once('close', done);
      res.once(STREAMING, done);
    },
    busy: () => inFlight > 0,
  };
}
