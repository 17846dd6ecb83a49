// An event names its workspace (or belongs to the default one), and its fan-out reaches the
// users of that workspace only, even where another workspace has the same ids.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bus } from '../../src/bus/bus';
import { createEmbeddedBus } from '../../src/bus/embedded';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { createNotificationService } from '../../src/services/notifications';
import { ensureDefaultWorkspace } from '../../src/services/tenancy/workspaces';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite';
import { createDispatcher } from '../../src/workers/dispatcher';
import { createIntake } from '../../src/workers/intake';
import { uniqueName } from '../support/services';

let store: SqliteStore;
let bus: Bus;
let busFile: string;
const config = loadConfig({}, {});
const logger = createLogger('t', { silent: true });

beforeEach(async () => {
  store = createSqliteStore(':memory:');
  await store.connect();
  await ensureDefaultWorkspace(store);
  await store.workspaces.create({ id: 'uni', name: 'University' });
  for (const [ws, phone] of [['default', '+254700000001'], ['uni', '+254700000002']]) {
    await store.programs.create(ws, { id: '1', name: 'P' });
    await store.eventTypes.create(ws, { programId: '1', id: '1', name: 'E', templates: { sms: { text: `hello from ${ws}` } } });
    await store.users.create(ws, { id: 'ana', name: 'Ana', phone });
    await store.subscriptions.create(ws, { id: 's', userId: 'ana', programId: '1', channels: ['sms'] });
  }
  busFile = path.join(os.tmpdir(), `${uniqueName('herald-intake-ws')}.db`);
  bus = createEmbeddedBus({ file: busFile });
  await bus.connect();
});
afterEach(async () => {
  await bus.close();
  await store.close();
  fs.rmSync(busFile, { force: true });
});

const intake = () => createIntake({ notifications: createNotificationService({ store, bus, config, logger }), config, logger });
const now = () => new Date().toISOString();

async function onlyNotification(ws: string) {
  const page = await store.notifications.list({ workspaceId: ws }, { limit: 10, offset: 0 });
  expect(page.total).toBe(1);
  return page.items[0];
}

test('an event that names its workspace is stored there; one that does not belongs to the default workspace', async () => {
  expect(await intake().handle({ workspaceId: 'uni', programId: 1, eventTypeId: '1', startTime: now() })).toEqual({ action: 'ack' });
  expect(await onlyNotification('uni')).toMatchObject({ workspaceId: 'uni', source: 'amqp' });
  expect(await intake().handle({ programId: 1, eventTypeId: '1', startTime: now() })).toEqual({ action: 'ack' });
  expect(await onlyNotification('default')).toMatchObject({ workspaceId: 'default' });
});

test("the original body may name it too, and it does not end up in the event's data", async () => {
  expect(await intake().handle({ workspaceId: 'uni', start_time: '08/27/2040 21:04', program_id: 1, event_type_id: '1', form: 'F-1' })).toEqual({ action: 'ack' });
  expect((await onlyNotification('uni')).data).toEqual({ form: 'F-1' });
});

test('an unknown or malformed workspace is dead-lettered with the reason', async () => {
  const unknown = await intake().handle({ workspaceId: 'nope', programId: 1, eventTypeId: '1', startTime: now() });
  expect(unknown).toMatchObject({ action: 'dead', reason: expect.stringMatching(/workspaceId: workspace 'nope' does not exist/) });
  const malformed = await intake().handle({ workspaceId: 'not a valid id!', programId: 1, eventTypeId: '1', startTime: now() });
  expect(malformed).toMatchObject({ action: 'dead', reason: expect.stringMatching(/workspaceId/) });
});

test("the fan-out reaches the notification's workspace's users only", async () => {
  await intake().handle({ workspaceId: 'uni', programId: 1, eventTypeId: '1', startTime: now() });
  const n = await onlyNotification('uni');
  const dispatcher = createDispatcher({ store, bus, config, logger });
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  const messages = await store.messages.list(n.id, {}, { limit: 10, offset: 0 });
  expect(messages.items.map((m) => [m.workspaceId, m.to, m.content.text])).toEqual([['uni', '+254700000002', 'hello from uni']]);
});
