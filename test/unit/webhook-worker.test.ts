// The webhook worker's poll loop sleeps pollMs when a round started nothing; new deliveries (the
// `webhooks` queue) and freed slots (an attempt ending) wake it. A wake-up that arrives while a
// round is reading the store must not be lost: that round read before the news, so the worker
// would sleep a whole pollMs with work due. pollMs is a minute here: no test waits for it.
import type { Handler } from '../../src/bus/bus';
import type { WebhookDelivery } from '../../src/store/store-webhooks';
import { createWebhookWorker } from '../../src/workers/webhooks';

function delivery(id: string, endpointId = 'we_a'): WebhookDelivery {
  return {
    id, workspaceId: 'default', endpointId, eventId: `evt_${id}`, eventType: 'message.sent', payload: '{}', state: 'pending',
    retryUntil: new Date(Date.now() + 3_600_000), attempts: [], attemptCount: 0, createdAt: new Date(), updatedAt: new Date(),
  };
}

const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const started: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of started.splice(0)) await stop();
});

function setup(concurrencyPerEndpoint: number) {
  const due: WebhookDelivery[] = [];
  /** The read of this number (1: the first) answers what was due when it was called, once `release` is called. */
  let gate: { call: number; release?: () => void } | undefined;
  let reads = 0;
  let handler: Handler | undefined;
  const attempted: string[] = [];
  const finishers = new Map<string, () => void>();
  const store = {
    webhooks: {
      dueEndpoints: async (_now: Date, _limit: number, exclude: string[] = []) => {
        const answer = [...new Set(due.map((d) => d.endpointId))].filter((e) => !exclude.includes(e));
        const g = gate?.call === ++reads ? gate : undefined;
        if (g) await new Promise<void>((r) => (g.release = r));
        return answer;
      },
      claimDue: async (endpointId: string, _now: Date, limit: number) => {
        const mine = due.filter((d) => d.endpointId === endpointId).slice(0, limit);
        for (const d of mine) due.splice(due.indexOf(d), 1);
        return mine;
      },
      pruneDeliveries: async () => 0,
    },
  };
  const worker = createWebhookWorker({
    store: store as never,
    bus: { consume: async (_q: string, h: Handler) => ((handler = h), { cancel: async () => undefined }) } as never,
    logger: { info() {}, warn() {}, error() {} } as never,
    fanOut: { handle: async () => (due.push(delivery(`d${due.length + attempted.length + 1}`)), 1) } as never,
    deliverer: {
      attempt: (d: WebhookDelivery) => {
        attempted.push(d.id);
        return new Promise<void>((r) => finishers.set(d.id, r));
      },
    },
    config: { webhooks: { concurrencyPerEndpoint, pollMs: 60_000, timeoutMs: 1_000, retentionDays: 7 } },
  });
  started.push(async () => {
    finishers.forEach((f) => f());
    await worker.stop();
  });
  return {
    due, attempted, finishers, worker,
    gateRead: (call: number) => {
      const g: { call: number; release?: () => void } = { call };
      gate = g;
      return async () => {
        while (!g.release) await turns(1);
        g.release();
      };
    },
    deliver: () => handler!({ body: { events: [] }, headers: {}, redelivered: false, attempt: 1, size: 2 }),
  };
}

describe('webhook worker wake-ups', () => {
  it('a delivery added while a round reads the store is attempted without waiting for the next poll', async () => {
    const t = setup(4);
    const release = t.gateRead(1);
    await t.worker.start();
    await turns(2);
    // The round's read is under way (and saw nothing due); the queue brings a delivery now.
    await t.deliver();
    await release();
    await turns();
    expect(t.attempted).toEqual(['d1']);
  });

  it('a slot freed while a round reads the store is used without waiting for the next poll', async () => {
    const t = setup(1);
    t.due.push(delivery('d1'), delivery('d2'));
    // The first round starts d1; the endpoint is then full, so the second round's read leaves it out. d1 ends during that read.
    const release = t.gateRead(2);
    await t.worker.start();
    await turns(2);
    expect(t.attempted).toEqual(['d1']);
    t.finishers.get('d1')!();
    await turns(2);
    await release();
    await turns();
    expect(t.attempted).toEqual(['d1', 'd2']);
  });
});
