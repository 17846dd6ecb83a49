// How busy this process's HTTP server is, for work that can wait a little: the fan-out lets the
// requests go first while they keep arriving (workers/yield-gate.ts).
import { performance } from 'node:perf_hooks';

export interface RequestTraffic {
  /** Notes a request coming in (one clock read: it runs for every request). */
  seen(): void;
  /** True while requests are arriving: one came in during the last `quietMs`. */
  busy(): boolean;
}

export function createRequestTraffic(quietMs = 20, clock: () => number = () => performance.now()): RequestTraffic {
  let last = -Infinity;
  return {
    seen() {
      last = clock();
    },
    busy() {
      return clock() - last < quietMs;
    },
  };
}
