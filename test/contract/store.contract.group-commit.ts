// Store contract: writes made at the same moment (concurrent requests, a worker's batch) may share
// one commit, but each keeps its own outcome: a refused one fails alone, the others are stored.
import { ConflictError } from '../../src/domain/errors';
import type { NewMessage, NewNotification } from '../../src/store/store';
import type { StoreRef } from './store.contract.helpers';

const FUTURE = new Date('2099-01-01T00:00:00.000Z');

function notification(id: string): NewNotification {
  return {
    id, workspaceId: 'default', programId: 'p1', eventTypeId: 'e1', startTime: new Date('2030-01-01T00:00:00.000Z'), validUntil: FUTURE,
    data: { id }, status: 'accepted', source: 'api', dispatch: { messages: 0 },
  };
}

function message(id: string): NewMessage {
  return {
    id, workspaceId: 'default', notificationId: 'gc-n', programId: 'p1', eventTypeId: 'e1', userId: id, channel: 'sms', to: '+254700000001',
    content: { text: 'hi' }, status: 'queued', statusHistory: [{ status: 'queued', at: new Date() }], validUntil: FUTURE, attempts: 0,
  };
}

export function groupCommitContract(s: StoreRef): void {
  describe('writes made at once', () => {
    it('stores every notification created together; a duplicate id among them fails alone with ConflictError', async () => {
      await s().notifications.create(notification('gc-existing'));
      const ids = Array.from({ length: 30 }, (_, i) => `gc-${i}`);
      const results = await Promise.allSettled([
        ...ids.map((id) => s().notifications.create(notification(id))),
        s().notifications.create(notification('gc-existing')),
        s().notifications.create(notification('gc-twice')),
        s().notifications.create(notification('gc-twice')),
      ]);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused).toHaveLength(2);
      for (const r of refused) expect(r.reason).toBeInstanceOf(ConflictError);
      for (const [i, id] of ids.entries()) {
        expect(results[i]).toMatchObject({ status: 'fulfilled', value: { id, data: { id } } });
        expect(await s().notifications.get(id)).toMatchObject({ id, status: 'accepted', data: { id } });
      }
      expect((await s().notifications.get('gc-twice'))?.id).toBe('gc-twice');
    });

    it('applies each compare-and-set of the same moment on its own message', async () => {
      await s().messages.insertMany([message('gc-m1'), message('gc-m2'), message('gc-m3')]);
      const [a, b, c, n] = await Promise.all([
        s().messages.transition('gc-m1', ['queued'], 'sending', { incrementAttempts: true }),
        s().messages.transition('gc-m2', ['sending'], 'sent'), // wrong `from`: refused alone
        s().messages.transitionEach([{ id: 'gc-m3', from: ['queued'], to: 'sending' }]),
        s().notifications.transition('gc-none', ['accepted'], 'dispatching'),
      ]);
      expect(a).toMatchObject({ id: 'gc-m1', status: 'sending', attempts: 1 });
      expect(b).toBeNull();
      expect(c).toBe(1);
      expect(n).toBeNull();
      expect((await s().messages.get('gc-m2'))?.status).toBe('queued');
      expect((await s().messages.get('gc-m3'))?.status).toBe('sending');
    });

    it("answers a returning transition from the caller's copy exactly as the stored message reads back", async () => {
      await s().messages.insertMany([message('gc-e1'), message('gc-e2')]);
      const [c1, c2] = await s().messages.getMany(['gc-e1', 'gc-e2']).then((ms) => ['gc-e1', 'gc-e2'].map((id) => ms.find((m) => m.id === id)!));
      const lease = new Date(Date.now() + 60_000);
      const claimed = await s().messages.transitionEachReturning([
        { id: 'gc-e1', from: ['queued'], to: 'sending', opts: { patch: { provider: 'p1', leaseUntil: lease }, incrementAttempts: true, expected: c1 } },
        { id: 'gc-e2', from: ['queued'], to: 'sending', opts: { patch: { provider: 'p1', leaseUntil: lease }, incrementAttempts: true, reason: 'r', expected: c2 } },
      ]);
      expect(claimed[0]).toEqual(await s().messages.get('gc-e1'));
      expect(claimed[1]).toEqual(await s().messages.get('gc-e2'));
      const sent = await s().messages.transitionEachReturning([
        {
          id: 'gc-e1', from: ['sending'], to: 'sent',
          opts: { patch: { providerMessageIds: ['x1'], sentAt: new Date(), leaseUntil: undefined, error: undefined }, providerStatus: 'queued', expected: claimed[0]! },
        },
        // A stale copy (status not in `from`) is not trusted: the compare-and-set fails and nothing is answered.
        { id: 'gc-e2', from: ['queued'], to: 'sent', opts: { expected: c2 } },
      ]);
      expect(sent[0]).toEqual(await s().messages.get('gc-e1'));
      expect(sent[0]).toMatchObject({ status: 'sent', attempts: 1, providerMessageIds: ['x1'], providerStatus: 'queued' });
      expect(sent[0]).not.toHaveProperty('leaseUntil');
      expect(sent[1]).toBeNull();
    });
  });
}
