// The catch-up sweep names a status change exactly as the live path did: the same event id from the
// message's history, whatever notes (provider statuses that move nothing) were appended since.
import type { Message, MessageStatus } from '../../src/domain/types';
import { historyEvents } from '../../src/services/webhooks/sweep';
import { messageEvent } from '../../src/services/webhooks/events';

const T = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));

function msg(history: Array<[MessageStatus, number]>): Message {
  const statusHistory = history.map(([status, s]) => ({ status, at: T(s) }));
  return {
    workspaceId: 'default', id: 'n1:u1:sms', notificationId: 'n1', programId: '1', eventTypeId: '1', userId: 'u1', channel: 'sms',
    to: '+254700000001', content: { text: 'Hi' }, status: statusHistory[statusHistory.length - 1].status, statusHistory,
    validUntil: T(3600), attempts: 1, createdAt: T(0), updatedAt: T(history[history.length - 1][1]),
  } as unknown as Message;
}

describe('webhook catch-up sweep: event ids', () => {
  it('gives each told status change the id the live path gave it, notes or not', () => {
    // What the live path built at each change: the message right after it.
    const queued = messageEvent({ before: 'accepted', message: msg([['accepted', 0], ['queued', 1]]) })!;
    const sent = messageEvent({ before: 'sending', message: msg([['accepted', 0], ['queued', 1], ['sending', 2], ['sent', 3]]) })!;
    const delivered = messageEvent({ before: 'sent', message: msg([['accepted', 0], ['queued', 1], ['sending', 2], ['sent', 3], ['sent', 4], ['delivered', 5]]) })!;
    // Later the store holds more history (a note that kept `delivered`); the sweep reads that.
    const swept = historyEvents(msg([['accepted', 0], ['queued', 1], ['sending', 2], ['sent', 3], ['sent', 4], ['delivered', 5], ['delivered', 6]]));
    expect(swept.map((e) => [e.type, e.id, e.timestamp])).toEqual([
      ['message.queued', queued.id, T(1).toISOString()],
      ['message.sent', sent.id, T(3).toISOString()],
      ['message.delivered', delivered.id, T(5).toISOString()],
    ]);
    // A note appended before the live path read the message does not change its id either.
    const noted = messageEvent({ before: 'sent', message: msg([['accepted', 0], ['queued', 1], ['sending', 2], ['sent', 3], ['sent', 4], ['delivered', 5], ['delivered', 6]]) })!;
    expect(noted.id).toBe(delivered.id);
    expect(new Set([queued.id, sent.id, delivered.id]).size).toBe(3);
  });
});
