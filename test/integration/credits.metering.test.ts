// Metering's safety nets on a real (in-memory SQLite) store: the sweeper settles reservations a
// missed hook left held, and refunds one whose message was never stored; the demo data's credits.
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { seedDemoData } from '../../src/runtime/seed';
import { createBalanceSignals, createMetering, ensureDefaultAccount } from '../../src/services/credits';
import { createEmbeddedBus } from '../../src/bus/embedded';
import { createSqliteStore } from '../../src/store/sqlite';
import type { NewMessage, Store } from '../../src/store/store';
import { tempDir } from '../support/herald';

const logger = createLogger('test', { level: 'error', silent: true });
const config = loadConfig({}, { 'credits.defaultBalance': 1 });
const message = (id: string, status: NewMessage['status']): NewMessage => ({
  id, workspaceId: 'default', notificationId: 'n1', programId: 'p', eventTypeId: 'e', userId: id, channel: 'sms', to: '+254700000001',
  content: { text: 'hi' }, sms: { encoding: 'GSM-7', segments: 1, parts: ['hi'] }, status, statusHistory: [], validUntil: new Date(Date.now() + 3_600_000), attempts: 0,
});

describe('metering safety nets', () => {
  let store: Store;
  beforeEach(async () => {
    store = createSqliteStore(':memory:');
    await store.connect();
  });
  afterEach(() => store.close());

  it('the sweeper refunds what ended unsent, charges what was handed over, and refunds a reservation whose message never came', async () => {
    await ensureDefaultAccount(store, config);
    const bus = createEmbeddedBus({ file: `${tempDir()}/q.db` });
    let now = new Date();
    const metering = createMetering({ store, config, signals: createBalanceSignals(bus, 50, logger), logger, now: () => now });
    await store.credits.reserve('default', ['m-failed', 'm-sent', 'm-queued', 'm-lost'].map((id) => ({ messageId: id, notificationId: 'n1', cost: 100 })));
    await store.messages.insertMany([message('m-failed', 'failed'), message('m-sent', 'sent'), message('m-queued', 'queued')]);
    expect((await store.credits.get('default'))!.balance).toBe(600);

    expect(await metering.sweep()).toBe(0); // younger than the grace period: the hooks may still come
    now = new Date(Date.now() + 2 * 60_000);
    expect(await metering.sweep()).toBe(2);
    await metering.stop();
    expect((await store.credits.get('default'))!.balance).toBe(700);
    expect((await store.credits.findHeld(now, 10)).map((e) => e.messageId).sort()).toEqual(['m-lost', 'm-queued']);

    now = new Date(Date.now() + 11 * 60_000);
    expect(await metering.sweep()).toBe(1);
    await metering.stop();
    expect((await store.credits.get('default'))!.balance).toBe(800);
    expect((await store.credits.findHeld(now, 10)).map((e) => e.messageId)).toEqual(['m-queued']);
    expect(await store.credits.ledgerSum('default')).toBe(800);
    await bus.close();
  });

  it('admits what the balance covers and rejects the rest with insufficient_credit', async () => {
    await ensureDefaultAccount(store, config);
    const bus = createEmbeddedBus({ file: `${tempDir()}/q.db` });
    const metering = createMetering({ store, config, signals: createBalanceSignals(bus, 50, logger), logger });
    const n = { id: 'n1' } as Parameters<typeof metering.admit>[0];
    const msgs = Array.from({ length: 12 }, (_, i) => message(`m${i}`, 'accepted'));
    const { messages, rejected } = await metering.admit(n, [...msgs, message('no-phone', 'rejected')], new Date());
    expect(rejected).toBe(2);
    expect(messages.filter((m) => m.status === 'accepted')).toHaveLength(10);
    expect(messages.filter((m) => m.status === 'rejected').map((m) => m.statusHistory[0]?.reason)).toEqual(['insufficient_credit', 'insufficient_credit', undefined]);
    expect((await store.credits.get('default'))!.balance).toBe(0);
    await metering.stop();
    await bus.close();
  });

  it('the demo data opens the default workspace with 100 credits, recorded as a top-up', async () => {
    await seedDemoData(store, logger, { onlyIfEmpty: true });
    await ensureDefaultAccount(store, loadConfig({}));
    expect((await store.credits.get('default'))!.balance).toBe(100_000);
    expect(await store.credits.ledgerSum('default')).toBe(100_000);
  });
});
