// Store contract, provider control: shared routing state, counters, send tokens; message part statuses.
import type { NewMessage } from '../../src/store/store';
import type { StoreRef } from './store.contract.helpers';

const twilio = { id: 'twilio-a', channel: 'sms' as const, paused: false, order: 0, weight: 0, ratePerSecond: 5 };

function message(id: string): NewMessage {
  return {
    id, workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms', to: '+254700000001',
    content: { text: 'Hello' }, status: 'sent', statusHistory: [], validUntil: new Date('2030-01-03T08:00:00.000Z'), attempts: 1,
    providerMessageIds: ['SM1', 'a.b$c'],
  };
}

export function providerControlContract(s: StoreRef): void {
  describe('provider control', () => {
    it('inserts on first ensure and keeps what operators changed on the next', async () => {
      const first = await s().providerControl.ensure(twilio);
      expect(first).toEqual({ ...twilio, sent: 0, failed: 0, updatedAt: expect.any(Date) });
      const changed = await s().providerControl.update('twilio-a', { paused: true, order: 3, weight: 2.5 });
      expect(changed).toMatchObject({ paused: true, order: 3, weight: 2.5, ratePerSecond: 5 });
      const again = await s().providerControl.ensure({ ...twilio, ratePerSecond: 50 });
      expect(again).toMatchObject({ paused: true, order: 3, weight: 2.5, ratePerSecond: 5 });
      const cleared = await s().providerControl.update('twilio-a', { ratePerSecond: undefined });
      expect(cleared).not.toHaveProperty('ratePerSecond');
      expect(await s().providerControl.update('nope', { paused: true })).toBeNull();
      expect(await s().providerControl.get('nope')).toBeNull();
    });

    it('lists by channel then order, and sums activity from several callers', async () => {
      await s().providerControl.ensure({ ...twilio, id: 'b', order: 1 });
      await s().providerControl.ensure({ ...twilio, id: 'a', order: 2 });
      await s().providerControl.ensure({ ...twilio, id: 'smtp', channel: 'email', order: 0 });
      expect((await s().providerControl.list()).map((p) => p.id)).toEqual(['smtp', 'b', 'a']);
      const until = new Date(Date.now() + 30_000);
      await Promise.all([
        s().providerControl.recordActivity('b', { sent: 3, failed: 1 }),
        s().providerControl.recordActivity('b', { sent: 2, failed: 0, circuitOpenUntil: until }),
        s().providerControl.recordActivity('b', { sent: 0, failed: 0, circuitOpenUntil: new Date(Date.now() - 1000) }),
        s().providerControl.recordActivity('unknown', { sent: 1, failed: 1 }),
      ]);
      expect(await s().providerControl.get('b')).toMatchObject({ sent: 5, failed: 1, circuitOpenUntil: until });
      expect(await s().providerControl.get('unknown')).toBeNull();
    });

    it('reserves send slots an interval apart across concurrent callers, and none beyond the wait', async () => {
      const now = 1_700_000_000_000;
      const answers = await Promise.all(Array.from({ length: 12 }, () => s().providerControl.reserveSlot('twilio-a', 100, 450, now)));
      const granted = answers.filter((a) => a.granted).map((a) => a.at).sort((x, y) => x - y);
      // Slots at now, +100, ... +400: five within the 450 ms wait, each taken once.
      expect(granted).toEqual([now, now + 100, now + 200, now + 300, now + 400]);
      expect(answers.filter((a) => !a.granted).every((a) => a.at === now + 500)).toBe(true);
      expect(await s().providerControl.reserveSlot('twilio-b', 100, 0, now)).toEqual({ granted: true, at: now });
      // Time moves on: the next slot is the later of now and the last one's end.
      expect(await s().providerControl.reserveSlot('twilio-a', 100, 0, now + 5_000)).toEqual({ granted: true, at: now + 5_000 });
      expect(await s().providerControl.reserveSlot('twilio-a', 100, 0, now + 5_010)).toEqual({ granted: false, at: now + 5_100 });
    });
  });

  describe('message part statuses', () => {
    it('records each part forward only, by provider message id (dots and dollars included)', async () => {
      await s().messages.insertMany([message('m1')]);
      const one = await s().messages.recordPartStatus('m1', 'SM1', 'delivered', ['sent']);
      expect(one!.partStatuses).toEqual({ SM1: 'delivered' });
      const two = await s().messages.recordPartStatus('m1', 'a.b$c', 'sent', ['sent']);
      expect(two!.partStatuses).toEqual({ SM1: 'delivered', 'a.b$c': 'sent' });
      expect(await s().messages.recordPartStatus('m1', 'SM1', 'sent', ['sent'])).toBeNull();
      expect(await s().messages.recordPartStatus('missing', 'SM1', 'sent', ['sent'])).toBeNull();
      const [x, y] = await Promise.all([
        s().messages.recordPartStatus('m1', 'a.b$c', 'delivered', ['sent']),
        s().messages.recordPartStatus('m1', 'a.b$c', 'undelivered', ['sent']),
      ]);
      expect([x, y].filter((r) => r !== null)).toHaveLength(1);
      expect((await s().messages.get('m1'))!.partStatuses).toEqual({ SM1: 'delivered', 'a.b$c': (x ?? y)!.partStatuses!['a.b$c'] });
      expect((await s().messages.get('m1'))!.status).toBe('sent');
    });
  });
}
