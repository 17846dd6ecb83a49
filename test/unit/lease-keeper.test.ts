// The lease keeper renews the leases of the attempts under way. A renewal whose store call never settles
// (a cut connection) must not stop the renewals after it: the leases would run out mid-send and another
// worker would take the message over and send it again.
import { createLeaseKeeper } from '../../src/workers/lease-keeper';

const quiet = { warn() {}, info() {}, error() {} } as never;

describe('lease keeper', () => {
  it('renews again when a renewal never answers', async () => {
    const calls: Array<{ ids: string[]; until: Date }> = [];
    const store = {
      messages: {
        extendLeases: (leases: Array<{ id: string }>, until: Date) => {
          calls.push({ ids: leases.map((l) => l.id), until });
          // The first call is lost with its connection; the later ones answer.
          return calls.length === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
        },
      },
    };
    const keeper = createLeaseKeeper({ store: store as never, leaseMs: 300, logger: quiet });
    keeper.hold('m1', 1);
    try {
      const deadline = Date.now() + 2_000;
      while (calls.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.every((c) => c.ids.join() === 'm1')).toBe(true);
      // Each renewal asks for a lease a whole lease length past its own time.
      expect(calls[2].until.getTime()).toBeGreaterThan(calls[0].until.getTime());
    } finally {
      keeper.stop();
    }
  });

  it('does not start a second renewal while one answers within its interval', async () => {
    let inFlight = 0;
    let most = 0;
    const store = {
      messages: {
        extendLeases: async () => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 20));
          inFlight--;
        },
      },
    };
    const keeper = createLeaseKeeper({ store: store as never, leaseMs: 300, logger: quiet });
    keeper.hold('m1', 1);
    await new Promise((r) => setTimeout(r, 600));
    keeper.stop();
    expect(most).toBe(1);
  });
});
