// Store contract, usage counters and the message walk behind CSV exports.
import type { UsageDelta } from '../../src/domain/usage';
import type { NewMessage } from '../../src/store/store';
import { sleep, type StoreRef } from './store.contract.helpers';

const H = (iso: string) => new Date(iso);
const row = (over: Partial<UsageDelta>): UsageDelta => ({
  workspaceId: 'default', hour: H('2030-01-01T10:00:00Z'), dimension: 'workspace', key: '*', channel: 'sms', provider: 'twilio',
  counts: { sent: 1 }, ...over,
});

function message(id: string, notificationId = 'n1'): NewMessage {
  return {
    id, workspaceId: 'default', notificationId, programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms', to: '+254700000001',
    content: { text: 'Hello' }, status: 'accepted', statusHistory: [], validUntil: new Date('2030-01-03T08:00:00.000Z'), attempts: 0,
  };
}

export function usageContract(s: StoreRef): void {
  describe('usage counters', () => {
    it('creates rows at zero and adds concurrent increments without losing one', async () => {
      await Promise.all(Array.from({ length: 20 }, () => s().usage.add([row({}), row({ counts: { pending: 2, segments: 3 } })])));
      await s().usage.add([row({ counts: { pending: -5, creditsCharged: 0.5 } })]);
      const [h] = await s().usage.hourly({ workspaceId: 'default', dimension: 'workspace', key: '*', from: H('2030-01-01T00:00:00Z'), to: H('2030-01-02T00:00:00Z') });
      expect(h.hour).toEqual(H('2030-01-01T10:00:00Z'));
      expect(h.counts).toMatchObject({ sent: 20, pending: 35, segments: 60, creditsCharged: 0.5, delivered: 0, creditsRefunded: 0 });
    });

    it('sums an hour over channels and providers, filters by either, and keeps [from, to)', async () => {
      await s().usage.add([
        row({ channel: 'sms', provider: 'twilio', counts: { sent: 1 } }),
        row({ channel: 'sms', provider: 'vonage', counts: { sent: 2 } }),
        row({ channel: 'email', provider: 'smtp', counts: { delivered: 4 } }),
        row({ channel: 'email', provider: '', counts: { pending: 8 } }),
        row({ hour: H('2030-01-01T11:00:00Z'), counts: { failed: 16 } }),
        row({ hour: H('2030-01-01T09:00:00Z'), counts: { failed: 32 } }),
      ]);
      const q = { workspaceId: 'default', dimension: 'workspace' as const, key: '*', from: H('2030-01-01T10:00:00Z'), to: H('2030-01-01T11:00:00Z') };
      const all = await s().usage.hourly(q);
      expect(all.map((h) => [h.hour.toISOString(), h.counts.sent, h.counts.delivered, h.counts.pending, h.counts.failed])).toEqual([
        ['2030-01-01T10:00:00.000Z', 3, 4, 8, 0],
      ]);
      expect((await s().usage.hourly({ ...q, channel: 'email' }))[0].counts).toMatchObject({ sent: 0, delivered: 4, pending: 8 });
      expect((await s().usage.hourly({ ...q, provider: 'vonage' }))[0].counts).toMatchObject({ sent: 2, delivered: 0 });
      expect(await s().usage.hourly({ ...q, provider: 'nobody' })).toEqual([]);
      const wide = await s().usage.hourly({ ...q, from: H('2030-01-01T00:00:00Z'), to: H('2030-01-02T00:00:00Z') });
      expect(wide.map((h) => h.hour.toISOString())).toEqual(['2030-01-01T09:00:00.000Z', '2030-01-01T10:00:00.000Z', '2030-01-01T11:00:00.000Z']);
    });

    it('keeps workspaces, dimensions and keys apart', async () => {
      await s().usage.add([
        row({ counts: { sent: 1 } }),
        row({ workspaceId: 'acme', counts: { sent: 2 } }),
        row({ dimension: 'program', key: 'p1', counts: { sent: 4 } }),
        row({ dimension: 'program', key: 'p2', counts: { sent: 8 } }),
        row({ dimension: 'user', key: 'p1', counts: { sent: 16 } }),
      ]);
      const q = { from: H('2030-01-01T00:00:00Z'), to: H('2030-01-02T00:00:00Z') };
      const sent = async (workspaceId: string, dimension: UsageDelta['dimension'], key: string) =>
        (await s().usage.hourly({ ...q, workspaceId, dimension, key })).map((h) => h.counts.sent);
      expect(await sent('default', 'workspace', '*')).toEqual([1]);
      expect(await sent('acme', 'workspace', '*')).toEqual([2]);
      expect(await sent('default', 'program', 'p1')).toEqual([4]);
      expect(await sent('default', 'program', 'p2')).toEqual([8]);
      expect(await sent('default', 'user', 'p1')).toEqual([16]);
      expect(await sent('default', 'campaign', 'p1')).toEqual([]);
    });
  });

  describe('message walk (exports)', () => {
    it('yields every message oldest first, across batches, filtered by notification and creation time', async () => {
      await s().messages.insertMany(['m3', 'm1', 'm2'].map((id) => message(id)));
      await sleep(5);
      const between = new Date();
      await sleep(5);
      await s().messages.insertMany([message('m0'), message('x1', 'n2')]);
      const ids = async (it: AsyncIterable<{ id: string }>) => {
        const out: string[] = [];
        for await (const m of it) out.push(m.id);
        return out;
      };
      expect(await ids(s().messages.stream({ notificationId: 'n1' }, 2))).toEqual(['m1', 'm2', 'm3', 'm0']);
      expect(await ids(s().messages.stream({}, 1))).toEqual(['m1', 'm2', 'm3', 'm0', 'x1']);
      expect(await ids(s().messages.stream({ createdBefore: between }, 2))).toEqual(['m1', 'm2', 'm3']);
      expect(await ids(s().messages.stream({ createdFrom: between, notificationId: 'n1' }))).toEqual(['m0']);
      expect(await ids(s().messages.stream({ notificationId: 'none' }))).toEqual([]);
      const first = await s().messages.stream({}, 2)[Symbol.asyncIterator]().next();
      expect(first.value).toMatchObject({ id: 'm1', status: 'accepted', createdAt: expect.any(Date) });
    });

    it('stops when the caller stops', async () => {
      await s().messages.insertMany(['a', 'b', 'c', 'd'].map((id) => message(id)));
      const seen: string[] = [];
      for await (const m of s().messages.stream({}, 1)) {
        seen.push(m.id);
        if (seen.length === 2) break;
      }
      expect(seen).toEqual(['a', 'b']);
    });
  });
}
