// The worker's lean BSON reader must give exactly what the driver's reader gives, and hand anything
// it does not know to it: a message read wrong would be sent wrong.
import { mongo } from 'mongoose';
import { readBson } from '../../src/store/mongo/bson-read';

const { serialize, deserialize, ObjectId, Long, Decimal128, Binary } = mongo.BSON;
const at = new Date('2030-01-01T09:12:03.120Z');

const message: Record<string, unknown> = {
  _id: 'nf-1:u-000123:sms', workspaceId: 'default', notificationId: 'nf-1', programId: 'p', eventTypeId: 'e', userId: 'u-000123',
  channel: 'sms', to: '+15005550123', content: { text: 'Grüße 👋 "quoted"\n', subject: '' }, sms: { segments: 2, encoding: 'UCS-2', parts: ['a', 'b'] },
  status: 'sent', statusHistory: [['accepted', at], ['queued', at], ['sending', at, null, 'gw'], { status: 'sent', at, provider: 'gw' }],
  validUntil: new Date(-1), attempts: 1, cost: 1.5, big: 2 ** 40, negative: -7, possibleDuplicate: false, flag: true, error: null,
  providerMessageIds: ['gw:1', 'gw:2'], count: Long.fromNumber(123456789012), minus: Long.fromNumber(-5), partStatuses: { 'gw:1': 'delivered' }, nested: { deeper: { list: [[1, [2]], {}], empty: [] } }, '': 'empty name',
};

describe('readBson', () => {
  it('reads a message as the driver does', () => {
    const bytes = serialize(message);
    expect(readBson(Buffer.from(bytes))).toStrictEqual(deserialize(bytes));
  });

  it('reads the same twice (field names are reused only when every byte matches)', () => {
    const a = serialize({ status: 1, sentAt: at, st_tus: 2, stbtus: 3 });
    expect(readBson(Buffer.from(a))).toStrictEqual(deserialize(a));
    expect(readBson(Buffer.from(a))).toStrictEqual({ status: 1, sentAt: at, st_tus: 2, stbtus: 3 });
  });

  it.each([
    ['an ObjectId', { _id: new ObjectId(), a: 1 }],
    ['a long beyond 2^53', { n: Long.fromString('9007199254740993') }],
    ['a decimal', { d: Decimal128.fromString('1.5') }],
    ['binary data', { b: new Binary(Buffer.from('xyz')) }],
    ['a reference', { r: { $ref: 'c', $id: 'x' } }],
    ['a nested unknown type', { a: { b: [{ c: new ObjectId() }] } }],
  ])('hands %s to the driver reader', (_what, doc) => {
    const bytes = serialize(doc);
    expect(readBson(Buffer.from(bytes))).toStrictEqual(deserialize(bytes));
  });

  it('refuses a truncated document as the driver reader does', () => {
    const bytes = Buffer.from(serialize(message)).subarray(0, 40);
    expect(() => readBson(bytes)).toThrow();
  });
});
