// Store contract, delivery side: finding messages (by provider id, lists and counts by status, a workspace's changes,
// stale and expired ones).
import { sleep, type StoreRef } from './store.contract.helpers';
import { all, message, T0 } from './store.contract.messages';

export function messageLookupsContract(s: StoreRef): void {
  describe('messages: lookups', () => {
    it('finds a sent message by each provider id its record gave, with the parts stored between parts and none of a replaced list', async () => {
      await s().messages.insertMany([message('n1:u1:sms'), message('n1:u2:sms')]);
      const claim = (id: string) => ({ id, from: ['queued' as const], to: 'sending' as const, opts: { patch: { provider: 'p1' }, incrementAttempts: true } });
      const [one, two] = await s().messages.transitionEachReturning([claim('n1:u1:sms'), claim('n1:u2:sms')]);
      // A two-part message: part 1's id is stored before part 2 is sent, then the record names both (with the claimed copy).
      await s().messages.transition('n1:u1:sms', ['sending'], 'sending', { patch: { providerMessageIds: ['p-1a'] } });
      const record = (m: typeof one, ids: string[]) => ({ id: m!.id, from: ['sending' as const], to: 'sent' as const, opts: { patch: { provider: 'p1', providerMessageIds: ids }, expected: m! } });
      expect(await s().messages.transitionEach([record(one, ['p-1a', 'p-1b']), record(two, ['p-2'])])).toBe(2);
      for (const [pid, id] of [['p-1a', 'n1:u1:sms'], ['p-1b', 'n1:u1:sms'], ['p-2', 'n1:u2:sms']]) expect((await s().messages.findByProviderMessageId(pid))?.id).toBe(id);
      // A copy that had provider ids: the record's list replaces them.
      await s().messages.insertMany([message('n1:u3:sms', { status: 'sending', providerMessageIds: ['old'] })]);
      const three = (await s().messages.get('n1:u3:sms'))!;
      expect(await s().messages.transitionEach([record(three, ['new'])])).toBe(1);
      expect(await s().messages.findByProviderMessageId('old')).toBeNull();
      expect((await s().messages.findByProviderMessageId('new'))?.id).toBe('n1:u3:sms');
    });

    it('finds by provider message id, lists, counts and selects by status', async () => {
      await s().messages.insertMany([
        message('n1:u1:sms'),
        message('n1:u2:sms'),
        message('n1:u3:email', { channel: 'email' }),
        message('n2:u1:sms', { notificationId: 'n2' }),
      ]);
      await s().messages.transition('n1:u2:sms', ['queued'], 'sent', { patch: { providerMessageIds: ['abc', 'def'] } });
      expect((await s().messages.findByProviderMessageId('def'))!.id).toBe('n1:u2:sms');
      expect(await s().messages.findByProviderMessageId('zzz')).toBeNull();
      await s().messages.transition('n1:u2:sms', ['sent'], 'sent', { patch: { providerMessageIds: ['xyz'] } });
      expect(await s().messages.findByProviderMessageId('abc')).toBeNull();
      expect((await s().messages.findByProviderMessageId('xyz'))!.id).toBe('n1:u2:sms');

      expect(await s().messages.countByStatus('n1')).toEqual({ queued: 2, sent: 1 });
      expect(await s().messages.countByStatus('none')).toEqual({});
      const sms = await s().messages.list('n1', { channel: 'sms' }, { limit: 1, offset: 1 });
      expect(sms.items.map((m) => m.id)).toEqual(['n1:u2:sms']);
      expect(sms).toMatchObject({ total: 2, limit: 1, offset: 1 });
      expect((await s().messages.list('n1', { status: 'queued' }, all)).items.map((m) => m.id)).toEqual(['n1:u1:sms', 'n1:u3:email']);
      expect((await s().messages.findByNotification('n1', ['queued', 'sent'], 10)).map((m) => m.id)).toEqual(['n1:u1:sms', 'n1:u2:sms', 'n1:u3:email']);
      expect((await s().messages.findByNotification('n1', ['queued'], 1)).map((m) => m.id)).toEqual(['n1:u1:sms']);
    });

    it('reads a workspace\'s changes by last update, after a (time, id) cursor and up to a time', async () => {
      await s().messages.insertMany([message('x1'), message('x2'), message('x3', { workspaceId: 'other' })]);
      await sleep(5);
      const mid = new Date();
      await sleep(5);
      await s().messages.transition('x1', ['queued'], 'sent');
      const origin = { at: new Date(0), id: '' };
      const first = await s().messages.changedSince('default', origin, new Date(Date.now() + 1000), 10);
      expect(first.map((m) => m.id)).toEqual(['x2', 'x1']);
      expect(first[1].status).toBe('sent');
      expect((await s().messages.changedSince('default', origin, mid, 10)).map((m) => m.id)).toEqual(['x2']);
      expect((await s().messages.changedSince('default', origin, new Date(Date.now() + 1000), 1)).map((m) => m.id)).toEqual(['x2']);
      const x2 = first[0] as typeof first[0] & { updatedAt: Date };
      expect((await s().messages.changedSince('default', { at: x2.updatedAt, id: x2.id }, new Date(Date.now() + 1000), 10)).map((m) => m.id)).toEqual(['x1']);
      expect((await s().messages.changedSince('other', origin, new Date(Date.now() + 1000), 10)).map((m) => m.id)).toEqual(['x3']);
    });

    it('finds stale messages by last update and expired ones by validity', async () => {
      await s().messages.insertMany([
        message('a', { validUntil: new Date('2030-01-01T00:00:00Z') }),
        message('b', { validUntil: new Date('2030-01-05T00:00:00Z') }),
        message('c', { status: 'sending', validUntil: new Date('2029-12-31T00:00:00Z') }),
      ]);
      await sleep(5);
      const cut = new Date();
      await sleep(5);
      await s().messages.transition('b', ['queued'], 'queued');
      expect((await s().messages.findStale(['queued', 'sending'], cut, 10)).map((m) => m.id).sort()).toEqual(['a', 'c']);
      expect((await s().messages.findStale(['queued'], new Date(Date.now() + 1000), 10)).map((m) => m.id)).toEqual(['a', 'b']);
      const now = new Date('2030-01-02T00:00:00Z');
      expect((await s().messages.findExpired(['queued', 'sending'], now, 10)).map((m) => m.id)).toEqual(['c', 'a']);
      expect((await s().messages.findExpired(['queued'], now, 10)).map((m) => m.id)).toEqual(['a']);
      expect(await s().messages.findExpired(['queued'], now, 0)).toEqual([]);
    });
  });
}
