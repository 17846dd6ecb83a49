// Metering with a store that writes reserve entries after the debit (MongoDB): the fan-out is
// answered at the debit, and a charge or refund of this process waits for the entries it needs.
import { createMetering } from '../../src/services/credits';
import { createLogger } from '../../src/log/logger';
import type { NewMessage, Store } from '../../src/store/store';
import type { ReserveItem, ReserveOptions } from '../../src/store/store-credits';

function message(i: number): NewMessage {
  const at = new Date();
  return {
    id: `n1:u${i}:sms`, workspaceId: 'w', notificationId: 'n1', programId: 'p', eventTypeId: 'e', userId: `u${i}`, channel: 'sms', to: '+254700000000',
    content: { text: 'hi' }, sms: { encoding: 'GSM-7', segments: 1, parts: ['hi'] }, status: 'accepted', statusHistory: [{ status: 'accepted', at }],
    validUntil: new Date(at.getTime() + 60_000), attempts: 0,
  };
}

function fakeStore() {
  const written = new Set<string>();
  const charged: string[] = [];
  let release: () => void = () => undefined;
  const entries = new Promise<void>((r) => (release = r));
  const credits = {
    get: async () => ({ workspaceId: 'w', balance: 1_000_000, createdAt: new Date(), updatedAt: new Date() }),
    reserve: async (_ws: string, items: ReserveItem[], opts?: ReserveOptions) => {
      const write = entries.then(() => items.forEach((i) => written.add(i.messageId)));
      if (opts?.background) opts.background(write);
      else await write;
      return items.map((i) => i.messageId);
    },
    // Only a written entry can be charged.
    charge: async (ids: string[]) => ids.filter((id) => written.has(id) && charged.push(id)).length,
    refund: async () => [],
  };
  return { store: { credits } as unknown as Store, charged, release };
}

const config = { credits: { smsSegmentPrice: 0.1, emailPrice: 0, currencyName: 'credits', defaultBalance: null } } as never;
const signals = { changed: () => undefined, stop: async () => undefined };

describe('metering over a store that writes reserve entries in the background', () => {
  it('answers the fan-out at the debit, and charges a message handed over meanwhile once its entry is written', async () => {
    const { store, charged, release } = fakeStore();
    const metering = createMetering({ store, config, signals, logger: createLogger('test', { level: 'error' } as never) });
    const { messages, rejected } = await metering.admit({ id: 'n1', workspaceId: 'w' }, [message(1), message(2)], new Date());
    expect(rejected).toBe(0);
    expect(messages.map((m) => m.cost)).toEqual([100, 100]);
    const settled = metering.settle([{ id: 'n1:u1:sms', status: 'sent' }]);
    await new Promise((r) => setTimeout(r, 300));
    expect(charged).toEqual([]);
    release();
    await settled;
    expect(charged).toEqual(['n1:u1:sms']);
    await metering.stop();
  });
});

describe('settling messages that were never reserved', () => {
  it('writes nothing for a message that carries no cost, and charges one that does', async () => {
    const { store, charged, release } = fakeStore();
    const calls: string[][] = [];
    const charge = store.credits.charge.bind(store.credits);
    store.credits.charge = async (ids: string[]) => (calls.push(ids), charge(ids));
    release();
    const metering = createMetering({ store, config, signals, logger: createLogger('test', { level: 'error' } as never) });
    const { messages } = await metering.admit({ id: 'n1', workspaceId: 'w' }, [message(1)], new Date());
    await metering.settle([
      { id: 'n1:u9:sms', status: 'sent', cost: undefined },
      { id: 'n1:u8:email', status: 'delivered', cost: 0 },
      { id: messages[0].id, status: 'sent', cost: messages[0].cost },
    ]);
    expect(calls).toEqual([['n1:u1:sms']]);
    expect(charged).toEqual(['n1:u1:sms']);
    await metering.stop();
  });
});

describe('stopping while the store refuses settlements', () => {
  // What stop could not write is left to the sweeper (the reservations stay held): after stop nothing may try
  // again on a timer, against a store about to be closed, every RETRY_MS for ever (the process would not end).
  afterEach(() => jest.useRealTimers());

  it('leaves no retry behind', async () => {
    jest.useFakeTimers();
    let tries = 0;
    const store = { credits: { charge: async () => (tries++, Promise.reject(new Error('store closed'))), refund: async () => [] } } as unknown as Store;
    const metering = createMetering({ store, config, signals, logger: createLogger('test', { level: 'error', silent: true } as never) });
    void metering.settle([{ id: 'n1:u1:sms', status: 'sent', cost: 100 }]);
    await metering.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    const afterStop = tries;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(tries).toBe(afterStop);
  });
});
