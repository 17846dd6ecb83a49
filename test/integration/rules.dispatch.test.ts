// The fan-out of recipients who are not users, on the SQLite store with the real service and
// dispatcher: one message per address and channel whoever names it, a repeated fan-out creates
// nothing twice, a matched skip rule sends nothing, and a rule's template reaches the audience.
import type { Bus } from '../../src/bus/bus';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { createNotificationService } from '../../src/services/notifications';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite';
import { createDispatcher } from '../../src/workers/dispatcher';

// Batches of two: the three recipient messages of the first test take two.
const config = loadConfig({}, { 'phone.defaultRegion': 'KE', 'dispatch.batchSize': 2 });
const logger = createLogger('rules-dispatch-test', { silent: true });

let store: SqliteStore;
let published: string[];
const bus = {
  async publish(queue: string, body: { messageIds?: string[] }) {
    if (queue !== 'dispatch') published.push(...(body.messageIds ?? []));
  },
} as unknown as Bus;

beforeEach(async () => {
  store = createSqliteStore(':memory:');
  await store.connect();
  published = [];
  await store.programs.create('default', { id: 'p', name: 'Clinic' });
  await store.eventTypes.create('default', {
    programId: 'p',
    id: 'visit',
    name: 'Visit',
    templates: { sms: { text: 'Visit for {{data.patient}}' }, email: { subject: 'Visit', text: 'Visit for {{data.patient}}' } },
    templateSets: { urgent: { sms: { text: 'URGENT visit for {{data.patient}}' } } },
    recipientPaths: [{ phone: 'data.guardian_phone' }],
    rules: [
      { id: 'test-event', when: { '==': [{ var: 'data.test' }, true] }, action: 'skip' },
      { id: 'urgent', when: { '>=': [{ var: ['data.severity', 0] }, 3] }, template: 'urgent', recipients: [{ phone: 'data.nurse_phone' }] },
    ],
  });
  await store.users.create('default', { id: 'doc', name: 'Doctor', phone: '+254700000900' });
  await store.subscriptions.create('default', { id: 's', userId: 'doc', programId: 'p', channels: ['sms'] });
});
afterEach(async () => {
  await store.close();
});

async function accept(data: Record<string, unknown>, recipients?: Array<{ phone?: string; email?: string }>, subscribers?: boolean) {
  const service = createNotificationService({ store, bus, config, logger });
  return service.accept({ workspaceId: 'default', programId: 'p', eventTypeId: 'visit', startTime: new Date(), data, recipients, subscribers, source: 'api' });
}

const messagesOf = async (id: string) => (await store.messages.list(id, {}, { limit: 100, offset: 0 })).items;

test('one message per address and channel, whoever names it; a repeated fan-out creates and counts nothing twice', async () => {
  const dispatcher = createDispatcher({ store, bus, config, logger });
  // The guardian is named twice (explicit, in national form, and by the recipient path), the nurse by the rule and explicitly.
  const n = await accept({ patient: 'Juma', guardian_phone: '+254700000901', nurse_phone: '+254700000902', severity: 1 }, [
    { phone: '0700 000901' }, { phone: '+254700000902', email: 'nurse@example.org' },
  ]);
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  const first = await messagesOf(n.id);
  expect(first.map((m) => `${m.channel} ${m.to}`).sort()).toEqual(['email nurse@example.org', 'sms +254700000900', 'sms +254700000901', 'sms +254700000902']);
  expect(first.filter((m) => m.userId.startsWith('rcpt-'))).toHaveLength(3);
  expect((await store.notifications.get(n.id))!.dispatch.messages).toBe(4);

  // A crash before the fan-out finished: dispatching again, from the start.
  await store.notifications.transition(n.id, ['dispatched'], 'dispatching', { dispatch: { messages: 4 } });
  expect(await dispatcher.handle({ notificationId: n.id })).toEqual({ action: 'ack' });
  const second = await messagesOf(n.id);
  expect(second.map((m) => m.id).sort()).toEqual(first.map((m) => m.id).sort());
  expect((await store.notifications.get(n.id))).toMatchObject({ status: 'dispatched', dispatch: { messages: 4 } });
});

test("a matched rule's template reaches the audience and its recipients; a var default keeps a missing field quiet", async () => {
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept({ patient: 'Amani', guardian_phone: '+254700000901', nurse_phone: '+254700000902', severity: 4 });
  expect(n.rules).toEqual({ matched: ['urgent'], template: 'urgent' });
  // data.test is absent: the skip rule is false with a warning; severity has a default in its var, so no warning for it.
  expect(n.warnings).toEqual(["rule 'test-event' is false: it reads data.test, which the event lacks"]);
  await dispatcher.handle({ notificationId: n.id });
  const texts = (await messagesOf(n.id)).map((m) => `${m.to} ${m.content.text}`).sort();
  expect(texts).toEqual(['+254700000900 URGENT visit for Amani', '+254700000901 URGENT visit for Amani', '+254700000902 URGENT visit for Amani']);
});

test('a matched skip rule sends nothing, to subscribers and recipients alike', async () => {
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept({ patient: 'Test', test: true, guardian_phone: '+254700000901' }, [{ phone: '+254700000903' }]);
  expect(n.rules).toEqual({ matched: ['test-event'], skip: true });
  expect(n.warnings).toContain("skipped by rule 'test-event': nothing is sent");
  await dispatcher.handle({ notificationId: n.id });
  expect(await messagesOf(n.id)).toEqual([]);
  expect(published).toEqual([]);
  expect(await store.notifications.get(n.id)).toMatchObject({ status: 'dispatched', dispatch: { messages: 0 } });
});

test('recipients are reached when nobody subscribes', async () => {
  await store.subscriptions.delete('default', 's');
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept({ patient: 'Neema' }, [{ phone: '+254700000904' }]);
  await dispatcher.handle({ notificationId: n.id });
  expect((await messagesOf(n.id)).map((m) => `${m.to} ${m.content.text} ${m.status}`)).toEqual(['+254700000904 Visit for Neema queued']);
  expect(published).toHaveLength(1);
});

test('subscribers: false reaches the recipients in place of the subscribers', async () => {
  const dispatcher = createDispatcher({ store, bus, config, logger });
  const n = await accept({ patient: 'Zawadi', guardian_phone: '+254700000901' }, [{ phone: '+254700000905' }], false);
  expect(n.subscribers).toBe(false);
  await dispatcher.handle({ notificationId: n.id });
  expect((await messagesOf(n.id)).map((m) => m.to).sort()).toEqual(['+254700000901', '+254700000905']);
  const none = await accept({ patient: 'Nobody' }, undefined, false);
  expect(none.warnings).toContain('subscribers: false and no recipients: nothing is sent');
});
