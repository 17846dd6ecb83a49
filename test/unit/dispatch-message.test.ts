// The message fan-out builds for one user and channel: an SMS text that renders blank is rejected
// (reason empty_text) before any provider sees it; smart encoding shapes the parts to send.
import type { EventType, Notification, Program, Subscriber } from '../../src/domain/types';
import { buildMessage } from '../../src/workers/dispatcher';

const at = new Date('2030-01-01T08:00:00Z');
const n = {
  id: 'n1', workspaceId: 'default', programId: 'p', eventTypeId: 'e', startTime: at, validUntil: new Date('2030-01-02T08:00:00Z'),
  data: { blank: '   ', nbsp: '\u00a0\u00a0', note: 'it\u2019s ready' }, status: 'accepted', source: 'api', dispatch: { messages: 0 }, createdAt: at, updatedAt: at,
} as Notification;
const program = { id: 'p', name: 'P', createdAt: at, updatedAt: at } as Program;
const sub: Subscriber = { user: { id: 'u', workspaceId: 'default', name: 'Ann', phone: '+254700000001', createdAt: at, updatedAt: at }, channels: ['sms'] };
const eventType = (text: string) => ({ id: 'e', programId: 'p', name: 'E', templates: { sms: { text } }, createdAt: at, updatedAt: at }) as EventType;
const cfg = (smartEncoding = false) => ({ sms: { maxLength: 918, smartEncoding } });

test.each([
  ['an empty rendering', '{{data.missing}}'],
  ['only spaces', '{{data.blank}}'],
  ['only no-break spaces and newlines', '{{data.nbsp}}\n'],
])('%s is rejected with reason empty_text and no parts to send', (_name, template) => {
  const m = buildMessage(n, program, eventType(template), sub, 'sms', cfg(), at);
  expect(m.status).toBe('rejected');
  expect(m.statusHistory).toEqual([{ status: 'rejected', at, reason: 'empty_text' }]);
  expect(m.error).toMatchObject({ code: 'EMPTY_TEXT' });
});

test('a text with words is accepted; smart encoding (when on) turns look-alikes into GSM-7 parts', () => {
  const plain = buildMessage(n, program, eventType('{{data.note}}'), sub, 'sms', cfg(), at);
  expect(plain).toMatchObject({ status: 'accepted', sms: { encoding: 'UCS-2', parts: ['it\u2019s ready'] } });
  const smart = buildMessage(n, program, eventType('{{data.note}}'), sub, 'sms', cfg(true), at);
  expect(smart).toMatchObject({ status: 'accepted', sms: { encoding: 'GSM-7', parts: ["it's ready"] } });
});
