// The webhook emitter between the message observer and the bus: which changes become events,
// nothing queued for workspaces without a matching endpoint, and events kept while the bus is away.
import type { Bus } from '../../src/bus/bus';
import type { MessageStatus } from '../../src/domain/types';
import { createLogger } from '../../src/log/logger';
import { createWebhookEmitter, messageEvent, type WebhookBatch } from '../../src/services/webhooks';
import type { MessageChange } from '../../src/services/usage';

const logger = createLogger('test', { silent: true });

function change(status: MessageStatus, before: MessageStatus | undefined, workspaceId = 'w1', id = 'n1:u1:sms'): MessageChange {
  return {
    before,
    message: {
      workspaceId, id, notificationId: 'n1', programId: 'p', eventTypeId: 'e', userId: 'u1', channel: 'sms', to: '+254700000001',
      content: { text: 'x' }, status, statusHistory: [{ status: 'accepted', at: new Date(0) }, { status, at: new Date(1000) }],
      validUntil: new Date(9e12), attempts: 1,
    },
  };
}

function fakeBus(failFirst = 0): Bus & { published: WebhookBatch[] } {
  const published: WebhookBatch[] = [];
  let failures = failFirst;
  return {
    published,
    async publish(_q: string, body: object) {
      if (failures-- > 0) throw new Error('bus away');
      published.push(body as WebhookBatch);
    },
  } as unknown as Bus & { published: WebhookBatch[] };
}

test('a change becomes an event with a stable id; internal statuses and no-op changes do not', () => {
  const e = messageEvent(change('sent', 'sending'))!;
  expect(e).toMatchObject({ type: 'message.sent', workspaceId: 'w1', timestamp: '1970-01-01T00:00:01.000Z', data: { status: 'sent', previousStatus: 'sending', to: '+254700000001' } });
  expect(messageEvent(change('sent', 'sending'))!.id).toBe(e.id);
  expect(messageEvent(change('sending', 'queued'))).toBeUndefined();
  expect(messageEvent(change('accepted', undefined))).toBeUndefined();
  expect(messageEvent(change('sent', 'sent'))).toBeUndefined();
});

test('queues one batch per flush, only for workspaces with a matching endpoint, with a completion check for final statuses', async () => {
  const bus = fakeBus();
  const emitter = createWebhookEmitter({ bus, logger, wanted: async (ws) => ws === 'w1', flushMs: 10 });
  emitter.listener([change('sent', 'sending'), change('delivered', 'sent', 'w1', 'n1:u2:sms'), change('failed', 'sending', 'w2')]);
  await emitter.stop();
  expect(bus.published).toHaveLength(1);
  expect(bus.published[0].events!.map((e) => e.type)).toEqual(['message.sent', 'message.delivered']);
  expect(bus.published[0].checks).toEqual([{ workspaceId: 'w1', notificationId: 'n1' }]);
});

test('an endpoint that wants only completion gets the checks of final statuses and no message events', async () => {
  const bus = fakeBus();
  const only = (_ws: string, type: string) => type === 'notification.completed';
  const emitter = createWebhookEmitter({ bus, logger, wanted: async (ws, type) => only(ws, type), mayWant: only, flushMs: 10 });
  emitter.listener([change('sent', 'sending'), change('failed', 'sending')]);
  await emitter.stop();
  expect(bus.published).toEqual([{ checks: [{ workspaceId: 'w1', notificationId: 'n1' }] }]);
});

test('keeps the events while the bus refuses them and queues them once it takes them', async () => {
  const bus = fakeBus(2);
  const emitter = createWebhookEmitter({ bus, logger, wanted: async () => true, flushMs: 10 });
  emitter.listener([change('sent', 'sending')]);
  await new Promise((r) => setTimeout(r, 2600));
  expect(bus.published).toHaveLength(1);
  expect(bus.published[0].events!.map((e) => e.type)).toEqual(['message.sent']);
  await emitter.stop();
});
