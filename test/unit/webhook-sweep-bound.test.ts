// The catch-up sweep hands a batch of up to 500 changed messages to one fan-out: a completion check per
// notification (two store reads each) and one write of every delivery. A store that is slow but answers
// each call within store.callTimeoutMs must not make every pass give up (the cursor then never moves
// and the given-up fan-outs pile up beside the next passes'); a call that hangs still fails the pass.
import { StoreTimeoutError } from '../../src/store/call-timeout';
import { createWebhookSweep } from '../../src/services/webhooks/sweep';
import { sweepFanOut } from '../../src/services/webhooks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ep = { id: 'we_a', workspaceId: 'ws', url: 'http://127.0.0.1:9/h', events: ['notification.completed'], secret: 's', enabled: true, createdAt: new Date(0) };
const at = new Date(Date.now() - 60_000);

function fakeStore(opts: { callMs: number; hangEnqueue?: boolean }) {
  const messages = Array.from({ length: 40 }, (_, i) => ({
    id: `m${i}`, notificationId: `n${i}`, workspaceId: 'ws', channel: 'sms', status: 'delivered', userId: 'u', programId: '1', eventTypeId: '1',
    statusHistory: [{ status: 'queued', at }, { status: 'sent', at }, { status: 'delivered', at }], updatedAt: at, createdAt: at,
  }));
  const state = { cursor: undefined as { at: Date; id: string } | undefined, enqueued: 0 };
  const slow = async <T>(v: T) => (await sleep(opts.callMs), v);
  const store = {
    webhooks: {
      getSweepCursor: async () => state.cursor,
      setSweepCursor: async (_ws: string, c: { at: Date; id: string }) => void (state.cursor = c),
      enqueueDeliveries: async (d: unknown[]) => (opts.hangEnqueue ? new Promise(() => undefined) : slow((state.enqueued += d.length, d))),
    },
    messages: {
      changedSince: async (_ws: string, cursor: { id: string }) => (cursor.id ? [] : messages),
      countByStatus: () => slow({ delivered: 1 }),
    },
    notifications: { get: (id: string) => slow({ id, workspaceId: 'ws', status: 'dispatched', programId: '1', eventTypeId: '1' }) },
  };
  return { store: store as never, state };
}

function sweepOver(store: never, callTimeoutMs: number) {
  const cache = { wanted: async () => true, matching: async () => [ep] } as never;
  const fanOut = sweepFanOut({ store, cache, retryForMs: 3_600_000, callTimeoutMs });
  return createWebhookSweep({ store, endpoints: async () => new Map([['ws', [ep as never]]]), fanOut, lagMs: 0, maxAgeMs: 86_400_000, callTimeoutMs });
}

describe('the webhook catch-up sweep', () => {
  it('finishes a pass whose fan-out is slow but whose every store call answers in time', async () => {
    // 40 notifications to check: 80 reads of 20 ms, each far within the 150 ms bound, 1.6 s in all.
    const { store, state } = fakeStore({ callMs: 20 });
    expect(await sweepOver(store, 150).run()).toBe(40);
    expect(state.enqueued).toBe(40);
    expect(state.cursor?.id).toBe('m39');
  });

  it('still fails a pass whose fan-out write hangs, within the bound of that call', async () => {
    const { store, state } = fakeStore({ callMs: 1, hangEnqueue: true });
    const started = Date.now();
    await expect(sweepOver(store, 150).run()).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(state.cursor).toBeUndefined();
  });

});
