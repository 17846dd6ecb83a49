// Every refresh adds the routers' counters of the last period (sent, failed, circuit openings) to the
// shared provider state. The routers hand their counters over once: a write that fails must keep them
// for the next refresh, else the providers' shared counts stay short for good after a store blip.
import { startControlRefresh } from '../../src/services/provider-control';
import type { ProviderActivity } from '../../src/store/store';

describe('provider control refresh', () => {
  it("keeps a period's counters whose write failed and adds them with the next refresh", async () => {
    const recorded = new Map<string, ProviderActivity>();
    let failNext = true;
    const store = {
      providerControl: {
        list: async () => [],
        recordActivity: async (id: string, a: ProviderActivity) => {
          if (failNext) {
            failNext = false;
            throw new Error('store away');
          }
          const cur = recorded.get(id) ?? { sent: 0, failed: 0 };
          recorded.set(id, { sent: cur.sent + a.sent, failed: cur.failed + a.failed, ...(a.circuitOpenUntil ? { circuitOpenUntil: a.circuitOpenUntil } : {}) });
        },
      },
    };
    const periods = [[{ id: 'sms-a', sent: 3, failed: 1 }, { id: 'sms-b', sent: 2, failed: 0 }], [{ id: 'sms-a', sent: 5, failed: 0 }], []];
    const router = { applyControl: () => undefined, drainActivity: () => periods.shift() ?? [] };
    const refresh = startControlRefresh({ store: store as never, routers: [router], intervalMs: 3_600_000, logger: { info() {}, warn() {} } as never });
    await refresh.refresh();
    await refresh.refresh();
    await refresh.stop();
    expect(Object.fromEntries(recorded)).toEqual({ 'sms-a': { sent: 8, failed: 1 }, 'sms-b': { sent: 2, failed: 0 } });
  });
});
