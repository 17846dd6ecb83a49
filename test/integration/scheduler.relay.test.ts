// The scheduler's relay republishes the dispatch of a notification left `accepted` too long. A fan-out
// can take that notification between the relay's read and its write: the relay must not write back the
// dispatch state it read (the fan-out's cursor and count would be lost, and a resumed fan-out would
// start over), nor touch a notification that is no longer accepted.
import type { Bus } from '../../src/bus/bus';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite';
import { createScheduler } from '../../src/workers/scheduler';
import { notification } from '../contract/store.contract.dispatch';

const config = loadConfig({}, {});
const logger = createLogger('scheduler-relay-test', { silent: true });

let store: SqliteStore;
beforeEach(async () => {
  store = createSqliteStore(':memory:');
  await store.connect();
});
afterEach(async () => {
  await store.close();
});

test('a fan-out that takes the notification while the relay republishes it keeps its cursor', async () => {
  await store.notifications.create(notification('n1', { startTime: new Date(), validUntil: new Date(Date.now() + 3_600_000), endTime: undefined }));
  const startedAt = new Date();
  const published: string[] = [];
  const bus = {
    async publish(queue: string, body: { notificationId?: string }) {
      if (queue !== 'dispatch') return;
      published.push(body.notificationId!);
      // Meanwhile a dispatcher takes the notification and moves its cursor.
      await store.notifications.transition('n1', ['accepted'], 'dispatching', { dispatch: { messages: 0, startedAt } });
      await store.notifications.update('n1', { dispatch: { cursor: 'u500', messages: 500, startedAt } });
    },
  } as unknown as Bus;
  // Every accepted notification counts as stale: the relay acts on n1 at once.
  const scheduler = createScheduler({ store, bus, config, logger, relayAfterMs: -60_000 });
  await scheduler.tick(false);
  expect(published).toEqual(['n1']);
  const after = (await store.notifications.get('n1'))!;
  expect(after.status).toBe('dispatching');
  expect(after.dispatch).toEqual({ cursor: 'u500', messages: 500, startedAt });
});

test('the relay touches a notification still accepted, so it republishes it once per period', async () => {
  await store.notifications.create(notification('n2', { startTime: new Date(), validUntil: new Date(Date.now() + 3_600_000), endTime: undefined }));
  const before = (await store.notifications.get('n2'))!;
  const published: string[] = [];
  const bus = { async publish(_q: string, body: { notificationId?: string }) { published.push(body.notificationId!); } } as unknown as Bus;
  let now = Date.now() + 20_000;
  const scheduler = createScheduler({ store, bus, config, logger, now: () => new Date(now), relayAfterMs: 10_000 });
  await scheduler.tick(false);
  expect(published).toEqual(['n2']);
  const touched = (await store.notifications.get('n2'))!;
  expect(touched).toMatchObject({ status: 'accepted', dispatch: before.dispatch });
  expect(touched.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
  // Touched just now (real time), so not stale again within the period.
  now = Date.now() + 5_000;
  await scheduler.tick(false);
  expect(published).toEqual(['n2']);
});
