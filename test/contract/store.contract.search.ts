// Store contract, operator look-ups: a message by its recipient's address, notifications by creation time.
import type { NewMessage, NewNotification } from '../../src/store/store';
import { sleep, type StoreRef } from './store.contract.helpers';

function message(id: string, to: string, workspaceId = 'default'): NewMessage {
  return {
    id, workspaceId, notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: to.includes('@') ? 'email' : 'sms', to,
    content: { text: 'Hello' }, status: 'queued', statusHistory: [], validUntil: new Date('2030-01-03T08:00:00.000Z'), attempts: 0,
  };
}

function notification(id: string, over: Partial<NewNotification> = {}): NewNotification {
  return {
    id, workspaceId: 'default', programId: 'p1', eventTypeId: 'e1', startTime: new Date('2030-01-01T00:00:00Z'),
    validUntil: new Date('2030-01-03T00:00:00Z'), data: {}, status: 'accepted', source: 'api', dispatch: { messages: 0 }, ...over,
  };
}

export function searchContract(s: StoreRef): void {
  describe('search', () => {
    it("finds a workspace's messages by exact recipient, newest first, up to the limit", async () => {
      await s().messages.insertMany([message('m1', '+254700000001'), message('m2', 'ben@example.org')]);
      await sleep(5);
      await s().messages.insertMany([message('m3', '+254700000001'), message('m4', '+254700000001', 'acme')]);
      expect(await s().search.messageIdsTo('default', '+254700000001', 10)).toEqual(['m3', 'm1']);
      expect(await s().search.messageIdsTo('default', '+254700000001', 1)).toEqual(['m3']);
      expect(await s().search.messageIdsTo('default', 'ben@example.org', 10)).toEqual(['m2']);
      expect(await s().search.messageIdsTo('acme', '+254700000001', 10)).toEqual(['m4']);
      expect(await s().search.messageIdsTo('default', '+2547', 10)).toEqual([]);
    });

    it('pages notification ids newest first by program, status and creation interval, with the total', async () => {
      await s().notifications.create(notification('a', { status: 'dispatched' }));
      await sleep(5);
      const middle = new Date();
      await sleep(5);
      await s().notifications.create(notification('b'));
      await sleep(5);
      await s().notifications.create(notification('c', { programId: 'p2' }));
      await s().notifications.create(notification('x', { workspaceId: 'acme' }));
      const page = (f: object, limit = 10, offset = 0) => s().search.notificationIds({ workspaceId: 'default', ...f }, { limit, offset });
      expect(await page({})).toEqual({ items: ['c', 'b', 'a'], total: 3, limit: 10, offset: 0 });
      expect(await page({}, 1, 1)).toEqual({ items: ['b'], total: 3, limit: 1, offset: 1 });
      expect((await page({ programId: 'p1' })).items).toEqual(['b', 'a']);
      expect((await page({ status: 'dispatched' })).items).toEqual(['a']);
      expect((await page({ createdFrom: middle })).items).toEqual(['c', 'b']);
      expect((await page({ createdBefore: middle })).items).toEqual(['a']);
      expect(await page({ programId: 'none' })).toEqual({ items: [], total: 0, limit: 10, offset: 0 });
    });
  });
}
