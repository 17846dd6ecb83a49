// A fresh notification whose whole fan-out is one batch is not taken (`dispatching`) before it: one
// compare-and-set moves it from `accepted` to `dispatched` once its messages are queued. On the SQLite
// store with the real service and dispatcher: a cancel during that fan-out wins, a fan-out interrupted
// before its last write leaves the notification accepted and the next delivery dispatches it without a
// second copy of any message, and a fan-out of several batches still takes the notification first.
import type { Bus } from '../../src/bus/bus';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { createNotificationService } from '../../src/services/notifications';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite';
import { createDispatcher } from '../../src/workers/dispatcher';

const config = loadConfig({}, { 'phone.defaultRegion': 'KE', 'dispatch.batchSize': 3 });
const logger = createLogger('dispatch-one-write-test', { silent: true });

let store: SqliteStore;
/** Called on each publish of message ids, before it resolves. */
let onPublish: (ids: string[]) => Promise<void>;
let published: string[];
const bus = {
  async publish(queue: string, body: { messageIds?: string[] }) {
    if (queue === 'dispatch') return;
    await onPublish(body.messageIds ?? []);
    published.push(...(body.messageIds ?? []));
  },
} as unknown as Bus;

async function subscribers(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.users.create('default', { id: `u${i}`, name: `U${i}`, phone: `+25470000010${i}` });
    await store.subscriptions.create('default', { id: `s${i}`, userId: `u${i}`, programId: 'p', channels: ['sms'] });
  }
}

beforeEach(async () => {
  store = createSqliteStore(':memory:');
  await store.connect();
  published = [];
  onPublish = async () => undefined;
  await store.programs.create('default', { id: 'p', name: 'Clinic' });
  await store.eventTypes.create('default', { programId: 'p', id: 'e', name: 'E', templates: { sms: { text: 'Hello {{user.name}}' } } });
});
afterEach(async () => {
  await store.close();
});

const service = () => createNotificationService({ store, bus, config, logger });
const accept = () => service().accept({ workspaceId: 'default', programId: 'p', eventTypeId: 'e', startTime: new Date(), data: {}, source: 'api' });
const messagesOf = async (id: string) => (await store.messages.list(id, {}, { limit: 100, offset: 0 })).items;

test('one batch: accepted, then dispatched with its count, cursor and times in one write', async () => {
  await subscribers(2);
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept();
  const seen: string[] = [];
  onPublish = async () => {
    seen.push((await store.notifications.get(n.id))!.status);
  };
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  expect(seen).toEqual(['accepted']);
  const after = (await store.notifications.get(n.id))!;
  expect(after).toMatchObject({ status: 'dispatched', dispatch: { messages: 2, cursor: 'u1' } });
  expect(after.dispatch.finishedAt!.getTime()).toBeGreaterThanOrEqual(after.dispatch.startedAt!.getTime());
  expect(published).toHaveLength(2);
});

test('a cancel during a one-batch fan-out wins: the notification stays cancelled', async () => {
  await subscribers(2);
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept();
  onPublish = async () => {
    await service().cancel('default', n.id);
  };
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  expect((await store.notifications.get(n.id))!.status).toBe('cancelled');
});

test('a one-batch fan-out interrupted before its last write is done again by the next delivery, each message once', async () => {
  await subscribers(2);
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept();
  onPublish = async () => {
    throw new Error('broker gone');
  };
  await expect(dispatcher.handle({ notificationId: n.id })).rejects.toThrow('broker gone');
  expect((await store.notifications.get(n.id))!.status).toBe('accepted');
  const stored = (await messagesOf(n.id)).map((m) => m.id).sort();
  expect(stored).toHaveLength(2);
  onPublish = async () => undefined;
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  // Counted once: the messages the interrupted run stored are this batch's too.
  expect((await store.notifications.get(n.id))!).toMatchObject({ status: 'dispatched', dispatch: { messages: 2 } });
  expect((await messagesOf(n.id)).map((m) => m.id).sort()).toEqual(stored);
  expect([...published].sort()).toEqual(stored);
});

test('several batches: the notification is dispatching from its first write, and a fan-out interrupted midway resumes from its cursor', async () => {
  await subscribers(7);
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept();
  const seen: string[] = [];
  let calls = 0;
  onPublish = async () => {
    seen.push((await store.notifications.get(n.id))!.status);
    if (++calls === 2) throw new Error('broker gone');
  };
  await expect(dispatcher.handle({ notificationId: n.id })).rejects.toThrow('broker gone');
  expect(seen).toEqual(['dispatching', 'dispatching']);
  expect((await store.notifications.get(n.id))!).toMatchObject({ status: 'dispatching', dispatch: { cursor: 'u2', messages: 3 } });
  onPublish = async () => undefined;
  published = [];
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  // Resumed after u2: the batches u3-u5 and u6 only.
  expect(published.length).toBe(4);
  expect((await store.notifications.get(n.id))!).toMatchObject({ status: 'dispatched', dispatch: { cursor: 'u6', messages: 7 } });
  expect(await messagesOf(n.id)).toHaveLength(7);
});

test('recipients interrupted midway are all written again on resume and counted once', async () => {
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const phones = [1, 2, 3, 4, 5].map((i) => `+25470000020${i}`);
  const n = await service().accept({
    workspaceId: 'default', programId: 'p', eventTypeId: 'e', startTime: new Date(), data: {}, source: 'api', subscribers: false,
    recipients: phones.map((phone) => ({ phone })),
  });
  let calls = 0;
  onPublish = async () => {
    if (++calls === 2) throw new Error('broker gone');
  };
  await expect(dispatcher.handle({ notificationId: n.id })).rejects.toThrow('broker gone');
  expect((await store.notifications.get(n.id))!.dispatch.messages).toBe(3);
  onPublish = async () => undefined;
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  expect((await store.notifications.get(n.id))!).toMatchObject({ status: 'dispatched', dispatch: { messages: 5 } });
  expect(await messagesOf(n.id)).toHaveLength(5);
});
