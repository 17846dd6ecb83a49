// A provider rate shared by three SMS worker processes: the gateway never receives more than the
// rate inside any one-second window (the busiest one is checked), and sends are spread, not
// bursted at the start of each second.
import { startCluster, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(240_000);

const RATE = 20;
/**
 * Slot spacing margin (HERALD_RATE_GUARD_MS, default 100 ms). A send leaves within a quarter of it
 * after its slot or takes a fresh one (send-rate.ts); the rest covers the way to the gateway.
 * Arrivals are timestamped by this test process, on a 2-core machine shared by Herald's five
 * processes and often by other test files: a stall there bunches arrivals, so the margin is wider here.
 */
const GUARD_MS = 300;
let c: Cluster;

beforeAll(async () => {
  c = await startCluster('rate', { smsWorkers: 3, twilioRatePerSecond: RATE, env: { HERALD_RATE_GUARD_MS: String(GUARD_MS) } });
});

afterAll(async () => {
  await c?.dispose();
});

/** Most arrivals inside any window [t, t + 1000 ms). */
function busiestSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j] - t[i] >= 1000) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

test(`three SMS workers, ratePerSecond ${RATE}: at most ${RATE} requests in any one second at the gateway`, async () => {
  const N = 300;
  const { programId, eventTypeId } = await c.seed(N, ['sms']);
  const from = c.twilio.requests.length;
  const started = Date.now();
  const id = await c.post(programId, eventTypeId);
  await waitAllFinal(c, [id], N, 120_000);
  const ms = Date.now() - started;
  const arrivals = c.twilio.requests.slice(from).filter((r) => r.method === 'POST').map((r) => r.at.getTime());
  const busiest = busiestSecond(arrivals);
  const o = await outcome(c, [id]);
  record(17, row(`3 SMS workers, one provider at ratePerSecond ${RATE}`, o, ms, `busiest second at the gateway: ${busiest} requests`));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: N });
  expect(busiest).toBeLessThanOrEqual(RATE);
  // Spread, yet not starved: the run took no more than about twice what the rate and margin allow.
  expect(ms).toBeLessThan(((N * (1000 + GUARD_MS)) / RATE) * 2 + 10_000);
});
