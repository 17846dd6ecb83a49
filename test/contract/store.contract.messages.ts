// Store contract, delivery side: messages (idempotent insert, reads, status CAS, leases, claims); their lookups are
// store.contract.message-lookups.ts, the log store.contract.logs.ts.
import type { NewMessage } from '../../src/store/store';
import type { StoreRef } from './store.contract.helpers';

export const T0 = new Date('2030-01-01T08:00:00.000Z');

export function message(id: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    workspaceId: 'default',
    notificationId: 'n1',
    programId: 'p1',
    eventTypeId: 'e1',
    userId: id.split(':')[1] ?? 'u1',
    channel: 'sms',
    to: '+254700000001',
    content: { text: 'Hello' },
    sms: { encoding: 'GSM-7', segments: 1, parts: ['Hello'] },
    status: 'queued',
    statusHistory: [{ status: 'queued', at: T0 }],
    validUntil: new Date('2030-01-03T08:00:00.000Z'),
    attempts: 0,
    ...over,
  };
}

export const all = { limit: 100, offset: 0 };

export function messagesContract(s: StoreRef): void {
  describe('messages', () => {
    it('keeps the cost reserved at dispatch through every change, and none when none was reserved', async () => {
      await s().messages.insertMany([message('n1:paid:sms', { cost: 300 }), message('n1:free:sms')]);
      await s().messages.transitionEachReturning([{ id: 'n1:paid:sms', from: ['queued'], to: 'sending', opts: { incrementAttempts: true } }]);
      const paid = await s().messages.transition('n1:paid:sms', ['sending'], 'failed', { reason: 'x' });
      expect(paid?.cost).toBe(300);
      expect((await s().messages.getMany(['n1:paid:sms', 'n1:free:sms'])).map((m) => [m.id, m.cost]).sort()).toEqual([['n1:free:sms', undefined], ['n1:paid:sms', 300]]);
    });

    it('inserts only new ids and never overwrites an existing message', async () => {
      const first = await s().messages.insertMany([message('n1:u1:sms'), message('n1:u2:sms'), message('n1:u3:sms')]);
      expect(first.sort()).toEqual(['n1:u1:sms', 'n1:u2:sms', 'n1:u3:sms']);
      const again = await s().messages.insertMany([
        message('n1:u1:sms', { content: { text: 'CHANGED' } }),
        message('n1:u2:sms', { status: 'failed' }),
        message('n1:u4:sms'),
      ]);
      expect(again).toEqual(['n1:u4:sms']);
      expect(await s().messages.insertMany([message('n1:u1:sms')])).toEqual([]);
      expect(await s().messages.insertMany([])).toEqual([]);
      expect((await s().messages.get('n1:u1:sms'))!.content).toEqual({ text: 'Hello' });
      expect((await s().messages.get('n1:u2:sms'))!.status).toBe('queued');
      expect((await s().messages.list('n1', {}, all)).total).toBe(4);
    });

    it('reads back the plain record with Dates, nested history and absent optional fields', async () => {
      await s().messages.insertMany([message('n1:u1:email', { channel: 'email', to: 'a@example.org', sms: undefined, content: { text: 't', subject: 's' } })]);
      const m = await s().messages.get('n1:u1:email');
      expect(m).toEqual({
        ...message('n1:u1:email', { channel: 'email', to: 'a@example.org', content: { text: 't', subject: 's' } }),
        sms: undefined,
        createdAt: expect.any(Date),
        updatedAt: expect.any(Date),
      });
      for (const k of ['sms', 'provider', 'providerMessageIds', 'error', 'sentAt', 'possibleDuplicate']) expect(m).not.toHaveProperty(k);
      expect(m!.statusHistory[0].at).toEqual(T0);
      expect(m!.validUntil).toBeInstanceOf(Date);
      expect(await s().messages.get('nope')).toBeNull();
    });

    it('reads many messages at once, the same records as get, leaving out missing ids', async () => {
      await s().messages.insertMany([message('n1:u1:sms'), message('n1:u2:sms', { error: { code: 'X', message: 'm' } }), message('n1:u3:sms')]);
      const many = await s().messages.getMany(['n1:u2:sms', 'missing', 'n1:u1:sms']);
      expect(many.map((m) => m.id).sort()).toEqual(['n1:u1:sms', 'n1:u2:sms']);
      expect(many.find((m) => m.id === 'n1:u2:sms')).toEqual(await s().messages.get('n1:u2:sms'));
      expect(await s().messages.getMany([])).toEqual([]);
    });

    it('reads a long list of ids whole (a store may split it into several reads)', async () => {
      const ids = Array.from({ length: 250 }, (_, i) => `n1:u${i}:sms`);
      await s().messages.insertMany(ids.map((id) => message(id)));
      const many = await s().messages.getMany([...ids, 'missing']);
      expect(many.map((m) => m.id).sort()).toEqual([...ids].sort());
    });

    it('reads each message once however often a long list repeats its id', async () => {
      const ids = Array.from({ length: 150 }, (_, i) => `n1:u${i}:sms`);
      await s().messages.insertMany(ids.map((id) => message(id)));
      // Each id twice, far apart: a store splitting the list must not read a message in two of its reads.
      const many = await s().messages.getMany([...ids, ...ids]);
      expect(many.map((m) => m.id).sort()).toEqual([...ids].sort());
    });

    it('transitions by compare-and-set, appending history and counting attempts', async () => {
      await s().messages.insertMany([message('n1:u1:sms')]);
      const at = new Date('2030-01-01T08:00:05.000Z');
      const sending = await s().messages.transition('n1:u1:sms', ['queued'], 'sending', { incrementAttempts: true, at });
      expect(sending).toMatchObject({ status: 'sending', attempts: 1 });
      expect(sending!.statusHistory).toEqual([{ status: 'queued', at: T0 }, { status: 'sending', at }]);
      expect(await s().messages.transition('n1:u1:sms', ['queued'], 'sending', { incrementAttempts: true })).toBeNull();
      const sentAt = new Date('2030-01-01T08:00:06.000Z');
      const sent = await s().messages.transition('n1:u1:sms', ['sending'], 'sent', {
        patch: { provider: 'twilio', providerMessageIds: ['SM1', 'SM2'], sentAt, error: { code: 'X', message: 'old' } },
        providerStatus: 'queued',
        reason: 'accepted by provider',
        at: sentAt,
      });
      expect(sent).toMatchObject({ status: 'sent', attempts: 1, provider: 'twilio', providerMessageIds: ['SM1', 'SM2'], providerStatus: 'queued', sentAt });
      expect(sent!.statusHistory[2]).toEqual({ status: 'sent', at: sentAt, reason: 'accepted by provider', provider: 'twilio', providerStatus: 'queued' });
      const cleared = await s().messages.transition('n1:u1:sms', ['sent'], 'delivered', { patch: { error: undefined, deliveredAt: sentAt } });
      expect(cleared).not.toHaveProperty('error');
      expect(cleared!.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending', 'sent', 'delivered']);
      expect(await s().messages.get('n1:u1:sms')).toEqual(cleared);
      expect(await s().messages.transition('missing', ['queued'], 'sent')).toBeNull();
    });

    it('notes a provider status that moves nothing: providerStatus set, a history entry, the status kept', async () => {
      await s().messages.insertMany([message('n1:u9:sms', { status: 'delivered', statusHistory: [{ status: 'delivered', at: T0 }] })]);
      const at = new Date('2030-01-01T08:00:09.000Z');
      const noted = await s().messages.noteProviderStatus('n1:u9:sms', { providerStatus: 'teleported', provider: 'tw', reason: 'unmapped', at });
      expect(noted).toMatchObject({ status: 'delivered', providerStatus: 'teleported' });
      expect(noted!.statusHistory).toEqual([{ status: 'delivered', at: T0 }, { status: 'delivered', at, reason: 'unmapped', provider: 'tw', providerStatus: 'teleported' }]);
      expect(await s().messages.get('n1:u9:sms')).toEqual(noted);
      expect(await s().messages.noteProviderStatus('missing', { providerStatus: 'x', provider: 'tw', reason: 'unmapped' })).toBeNull();
    });

    it('takes over a sending message only once its lease has ended, and only once', async () => {
      const leaseUntil = new Date(Date.now() + 60_000);
      await s().messages.insertMany([message('n1:u9:sms', { status: 'sending', leaseUntil })]);
      const early = await s().messages.transition('n1:u9:sms', ['sending'], 'sending', { leaseEndedBefore: new Date() });
      expect(early).toBeNull();
      const later = new Date(leaseUntil.getTime() + 1);
      const takeOver = () =>
        s().messages.transition('n1:u9:sms', ['sending'], 'sending', { leaseEndedBefore: later, patch: { leaseUntil: new Date(later.getTime() + 60_000) } });
      const [a, b] = await Promise.all([takeOver(), takeOver()]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
    });

    it('renews the leases of the attempts a worker still holds, and takes back an attempt that never counted', async () => {
      const leaseUntil = new Date(Date.now() + 5_000);
      await s().messages.insertMany([
        message('n1:l1:sms', { status: 'sending', attempts: 2, leaseUntil }),
        message('n1:l2:sms', { status: 'sending', attempts: 3, leaseUntil }),
        message('n1:l3:sms', { status: 'sent', attempts: 2, leaseUntil }),
      ]);
      const until = new Date(Date.now() + 60_000);
      // l2 was taken over by another attempt (attempts 3), l3 finished: only l1 is still ours.
      const renewed = await s().messages.extendLeases([{ id: 'n1:l1:sms', attempts: 2 }, { id: 'n1:l2:sms', attempts: 2 }, { id: 'n1:l3:sms', attempts: 2 }, { id: 'nope', attempts: 1 }], until);
      expect(renewed).toBe(1);
      expect((await s().messages.get('n1:l1:sms'))!.leaseUntil).toEqual(until);
      expect((await s().messages.get('n1:l1:sms'))!.statusHistory).toHaveLength(1);
      expect((await s().messages.get('n1:l2:sms'))!.leaseUntil).toEqual(leaseUntil);
      expect(await s().messages.extendLeases([], until)).toBe(0);
      const back = await s().messages.transition('n1:l1:sms', ['sending'], 'queued', { uncountAttempt: true, patch: { leaseUntil: undefined }, reason: 'no send slot' });
      expect(back).toMatchObject({ status: 'queued', attempts: 1 });
      expect(back!.leaseUntil).toBeUndefined();
    });

    it('renews hundreds of leases at once, only those of attempts still held', async () => {
      const leaseUntil = new Date(Date.now() + 5_000);
      const ids = Array.from({ length: 230 }, (_, i) => `n1:m${String(i).padStart(3, '0')}:sms`);
      // Every third was taken over by a later attempt.
      await s().messages.insertMany(ids.map((id, i) => message(id, { status: 'sending', attempts: i % 3 === 0 ? 2 : 1, leaseUntil })));
      const until = new Date(Date.now() + 60_000);
      expect(await s().messages.extendLeases(ids.map((id) => ({ id, attempts: 1 })), until)).toBe(153);
      expect((await s().messages.get(ids[229]))!.leaseUntil).toEqual(until);
      expect((await s().messages.get(ids[228]))!.leaseUntil).toEqual(leaseUntil);
    });

    it('lets exactly one of two concurrent transitions from the same status win', async () => {
      await s().messages.insertMany([message('n1:u1:sms')]);
      const results = await Promise.all([
        s().messages.transition('n1:u1:sms', ['queued'], 'sending', { incrementAttempts: true }),
        s().messages.transition('n1:u1:sms', ['queued'], 'cancelled'),
        s().messages.transition('n1:u1:sms', ['queued'], 'expired'),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await s().messages.get('n1:u1:sms'))!.statusHistory).toHaveLength(2);
    });

    it('moves many messages at once, only those in a `from` status, one history entry each', async () => {
      await s().messages.insertMany([
        message('n1:u1:sms', { status: 'accepted', statusHistory: [{ status: 'accepted', at: T0 }] }),
        message('n1:u2:sms', { status: 'accepted', statusHistory: [{ status: 'accepted', at: T0 }] }),
        message('n1:u3:sms', { status: 'sending', statusHistory: [{ status: 'sending', at: T0 }] }),
      ]);
      const before = await s().messages.get('n1:u1:sms');
      const at = new Date('2030-01-01T08:00:01.000Z');
      const moved = await s().messages.transitionMany(['n1:u1:sms', 'n1:u2:sms', 'n1:u3:sms', 'missing'], ['accepted'], 'queued', { at, reason: 'published' });
      expect(moved).toBe(2);
      const [u1, u2, u3] = await Promise.all(['n1:u1:sms', 'n1:u2:sms', 'n1:u3:sms'].map((id) => s().messages.get(id)));
      expect(u1!.status).toBe('queued');
      expect(u1!.statusHistory).toEqual([{ status: 'accepted', at: T0 }, { status: 'queued', at, reason: 'published' }]);
      expect(u1!.updatedAt!.getTime()).toBeGreaterThanOrEqual(before!.updatedAt!.getTime());
      expect(u1).toEqual({ ...before, status: 'queued', statusHistory: u1!.statusHistory, updatedAt: u1!.updatedAt });
      expect(u2!.statusHistory.map((h) => h.status)).toEqual(['accepted', 'queued']);
      expect(u3).toMatchObject({ status: 'sending', statusHistory: [{ status: 'sending', at: T0 }] });
      // A second pass finds none in `from`: nothing moves, no history is added.
      expect(await s().messages.transitionMany(['n1:u1:sms', 'n1:u2:sms'], ['accepted'], 'queued')).toBe(0);
      expect((await s().messages.get('n1:u1:sms'))!.statusHistory).toHaveLength(2);
      expect(await s().messages.transitionMany([], ['accepted'], 'queued')).toBe(0);
      expect(await s().messages.transitionMany(['n1:u3:sms', 'n1:u2:sms'], ['sending', 'accepted'], 'expired')).toBe(1);
      expect((await s().messages.get('n1:u3:sms'))!.status).toBe('expired');
    });

    it('applies several compare-and-set transitions in one call, each with its own patch', async () => {
      const lease = new Date(Date.now() + 60_000);
      await s().messages.insertMany([
        message('n1:u1:sms', { status: 'sending', attempts: 1, leaseUntil: lease, error: { code: 'X', message: 'old' } }),
        message('n1:u2:sms', { status: 'sending', attempts: 1, leaseUntil: lease }),
        message('n1:u3:sms', { status: 'cancelled' }),
      ]);
      const sentAt = new Date('2030-01-01T08:00:06.000Z');
      const sent = (id: string, pid: string) => ({
        id,
        from: ['sending' as const],
        to: 'sent' as const,
        opts: { patch: { provider: 'p1', providerMessageIds: [pid], sentAt, error: undefined, leaseUntil: undefined }, providerStatus: 'queued', at: sentAt },
      });
      const moved = await s().messages.transitionEach([sent('n1:u1:sms', 'A'), sent('n1:u2:sms', 'B'), sent('n1:u3:sms', 'C'), sent('missing', 'D')]);
      expect(moved).toBe(2);
      const u1 = await s().messages.get('n1:u1:sms');
      expect(u1).toMatchObject({ status: 'sent', attempts: 1, provider: 'p1', providerMessageIds: ['A'], providerStatus: 'queued', sentAt });
      for (const k of ['error', 'leaseUntil']) expect(u1).not.toHaveProperty(k);
      expect(u1!.statusHistory[1]).toEqual({ status: 'sent', at: sentAt, provider: 'p1', providerStatus: 'queued' });
      expect((await s().messages.get('n1:u2:sms'))!.providerMessageIds).toEqual(['B']);
      expect(await s().messages.get('n1:u3:sms')).toMatchObject({ status: 'cancelled', statusHistory: [{ status: 'queued', at: T0 }] });
      expect(await s().messages.findByProviderMessageId('B')).toMatchObject({ id: 'n1:u2:sms' });
      expect(await s().messages.transitionEach([sent('n1:u1:sms', 'E')])).toBe(0);
      expect(await s().messages.transitionEach([])).toBe(0);
    });

    it('claims several messages in one call and says which claims won', async () => {
      const ended = new Date(Date.now() - 1_000);
      await s().messages.insertMany([
        message('n1:u1:sms'),
        message('n1:u2:sms', { status: 'sent' }),
        message('n1:u3:sms', { status: 'sending', attempts: 1, leaseUntil: ended }),
        message('n1:u4:sms', { status: 'sending', attempts: 1, leaseUntil: new Date(Date.now() + 60_000) }),
      ]);
      const lease = new Date(Date.now() + 30_000);
      const claim = (id: string, from: 'queued' | 'sending') => ({
        id,
        from: [from],
        to: 'sending' as const,
        opts: { patch: { provider: 'p1', leaseUntil: lease }, incrementAttempts: true, ...(from === 'sending' ? { leaseEndedBefore: new Date() } : {}) },
      });
      const won = await s().messages.transitionEachReturning([
        claim('n1:u1:sms', 'queued'),
        claim('n1:u2:sms', 'queued'),
        claim('n1:u3:sms', 'sending'),
        claim('n1:u4:sms', 'sending'),
        claim('missing', 'queued'),
      ]);
      expect(won.map((m) => m?.id ?? null)).toEqual(['n1:u1:sms', null, 'n1:u3:sms', null, null]);
      expect(won[0]).toMatchObject({ status: 'sending', attempts: 1, provider: 'p1', leaseUntil: lease });
      expect(won[0]!.statusHistory.map((h) => h.status)).toEqual(['queued', 'sending']);
      expect(won[0]).not.toHaveProperty('casToken');
      expect(won[2]).toMatchObject({ status: 'sending', attempts: 2 });
      expect(await s().messages.get('n1:u4:sms')).toMatchObject({ attempts: 1 });
      expect(await s().messages.transitionEachReturning([])).toEqual([]);
    });

    it('lets exactly one of two concurrent batch claims win each message', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => `n1:u${i}:sms`);
      await s().messages.insertMany(ids.map((id) => message(id)));
      const claims = ids.map((id) => ({ id, from: ['queued' as const], to: 'sending' as const, opts: { incrementAttempts: true } }));
      const [a, b] = await Promise.all([s().messages.transitionEachReturning(claims), s().messages.transitionEachReturning([...claims].reverse())]);
      const winsA = a.filter(Boolean).length;
      const winsB = b.filter(Boolean).length;
      expect(winsA + winsB).toBe(ids.length);
      for (const id of ids) expect(await s().messages.get(id)).toMatchObject({ status: 'sending', attempts: 1 });
    });
  });
}
