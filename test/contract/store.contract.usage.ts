// Store contract, usage counters (a recipient's counted from its messages) and the message walk behind CSV exports.
import type { Channel, MessageStatus } from '../../src/domain/types';
import type { UsageDelta, UsageDimension } from '../../src/domain/usage';
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
        row({ dimension: 'campaign', key: 'c1', counts: { sent: 16 } }),
      ]);
      const q = { from: H('2030-01-01T00:00:00Z'), to: H('2030-01-02T00:00:00Z') };
      const sent = async (workspaceId: string, dimension: UsageDimension, key: string) =>
        (await s().usage.hourly({ ...q, workspaceId, dimension, key })).map((h) => h.counts.sent);
      expect(await sent('default', 'workspace', '*')).toEqual([1]);
      expect(await sent('acme', 'workspace', '*')).toEqual([2]);
      expect(await sent('default', 'program', 'p1')).toEqual([4]);
      expect(await sent('default', 'program', 'p2')).toEqual([8]);
      expect(await sent('default', 'campaign', 'c1')).toEqual([16]);
      expect(await sent('default', 'campaign', 'p1')).toEqual([]);
      expect(await sent('default', 'user', 'p1')).toEqual([]);
    });
  });

  describe("a recipient's usage, counted from its messages", () => {
    const HOUR = 3_600_000;
    const now = new Date();
    const hour = new Date(Math.floor(now.getTime() / HOUR) * HOUR);
    let n = 0;
    /** A message to `userId` accepted at `at` (stored now, as the fan-out stores it), moved on through `path` as the workers move it. */
    async function toRecipient(path: MessageStatus[], o: { userId?: string; workspaceId?: string; channel?: Channel; at?: Date; cost?: number; provider?: string } = {}) {
      const id = `r${++n}`;
      const m: NewMessage = {
        ...message(id), workspaceId: o.workspaceId ?? 'default', userId: o.userId ?? 'u1', channel: o.channel ?? 'sms',
        sms: o.channel === 'email' ? undefined : { encoding: 'GSM-7', segments: 2, parts: ['Hello'] },
        statusHistory: [{ status: 'accepted', at: o.at ?? now }], ...(o.cost ? { cost: o.cost } : {}),
      };
      await s().messages.insertMany([m]);
      let from: MessageStatus = 'accepted';
      for (const to of path) {
        const patch = to === 'sending' ? { provider: o.provider ?? 'twilio' } : to === 'sent' ? { sentAt: new Date() } : {};
        expect(await s().messages.transition(id, [from], to, { patch })).not.toBeNull();
        from = to;
      }
    }
    const q = { workspaceId: 'default', dimension: 'user' as const, key: 'u1', from: new Date(hour.getTime() - HOUR), to: new Date(hour.getTime() + HOUR) };
    const figures = (hours: Array<{ hour: Date; counts: Record<string, number> }>) =>
      hours.map((h) => [h.hour.toISOString(), Object.fromEntries(Object.entries(h.counts).filter(([, v]) => v !== 0))]);

    it('counts each in the hour it was accepted, in the column of its status, under its provider, with segments once handed over and its credits', async () => {
      await toRecipient(['queued', 'sending', 'sent', 'delivered'], { cost: 200 });
      await toRecipient(['queued', 'sending', 'failed'], { cost: 200, provider: 'vonage' });
      await toRecipient(['queued', 'sending'], { channel: 'email', provider: 'smtp' }); // still pending: no provider yet
      await toRecipient(['expired'], { at: new Date(hour.getTime() - HOUR / 2), cost: 100 }); // accepted in the hour before
      await toRecipient([], { userId: 'u2' });
      await toRecipient([], { workspaceId: 'acme' });
      await s().usage.add([row({ hour, dimension: 'workspace', counts: { sent: 50 } })]);
      const earlier = new Date(hour.getTime() - HOUR).toISOString();
      expect(figures(await s().usage.hourly(q))).toEqual([
        [earlier, { expired: 1, creditsCharged: 100, creditsRefunded: 100 }],
        [hour.toISOString(), { pending: 1, delivered: 1, failed: 1, segments: 2, creditsCharged: 400, creditsRefunded: 200 }],
      ]);
      // Credits count without a provider (the reservation is made before one is chosen), like the counters.
      expect(figures(await s().usage.hourly({ ...q, provider: 'twilio' }))).toEqual([[hour.toISOString(), { delivered: 1, segments: 2 }]]);
      expect(figures(await s().usage.hourly({ ...q, provider: 'vonage' }))).toEqual([[hour.toISOString(), { failed: 1 }]]);
      expect(figures(await s().usage.hourly({ ...q, provider: '' }))).toEqual([
        [earlier, { expired: 1, creditsCharged: 100, creditsRefunded: 100 }], // ended before a provider had it
        [hour.toISOString(), { pending: 1, creditsCharged: 400, creditsRefunded: 200 }],
      ]);
      expect(figures(await s().usage.hourly({ ...q, channel: 'email' }))).toEqual([[hour.toISOString(), { pending: 1 }]]);
      expect(figures(await s().usage.hourly({ ...q, from: hour }))).toEqual([[hour.toISOString(), expect.objectContaining({ delivered: 1 })]]);
      expect(figures(await s().usage.hourly({ ...q, to: hour }))).toEqual([[earlier, expect.objectContaining({ expired: 1 })]]);
      expect(figures(await s().usage.hourly({ ...q, key: 'u2' }))).toEqual([[hour.toISOString(), { pending: 1 }]]);
      expect(figures(await s().usage.hourly({ ...q, workspaceId: 'acme' }))).toEqual([[hour.toISOString(), { pending: 1 }]]);
      expect(await s().usage.hourly({ ...q, key: 'nobody' })).toEqual([]);
    });

    it('is read from its messages alone: it follows them at once, and no counter row counts in it', async () => {
      await toRecipient(['queued']);
      expect(figures(await s().usage.hourly(q))).toEqual([[hour.toISOString(), { pending: 1 }]]);
      await s().usage.add([row({ hour, dimension: 'program', key: 'u1', counts: { sent: 7 } })]);
      expect(figures(await s().usage.hourly(q))).toEqual([[hour.toISOString(), { pending: 1 }]]);
    });

    it('counts every one of many messages (more than a read holds at once), each in the hour its acceptance falls in, to the millisecond', async () => {
      const last = new Date(hour.getTime() - 1); // 59:59.999 of the hour before
      const many: NewMessage[] = Array.from({ length: 2500 }, (_, i) => ({
        ...message(`big${i}`), userId: 'u1', sms: { encoding: 'GSM-7' as const, segments: 1 + (i % 3), parts: ['Hello'] },
        status: i % 5 === 0 ? 'failed' : 'delivered', provider: i % 2 ? 'twilio' : 'vonage', cost: 100 * (1 + (i % 2)),
        ...(i % 5 === 0 ? {} : { sentAt: now }),
        statusHistory: [{ status: 'accepted', at: i % 4 === 0 ? last : hour }, { status: 'queued', at: hour }],
      }));
      for (let i = 0; i < many.length; i += 500) await s().messages.insertMany(many.slice(i, i + 500));
      const expected = (keep: (i: number) => boolean) => {
        const sums = { delivered: 0, failed: 0, segments: 0, creditsCharged: 0, creditsRefunded: 0 };
        many.forEach((m, i) => {
          if (!keep(i)) return;
          if (m.status === 'failed') (sums.failed++, (sums.creditsRefunded += m.cost!));
          else (sums.delivered++, (sums.segments += m.sms!.segments));
          sums.creditsCharged += m.cost!;
        });
        return sums;
      };
      expect(figures(await s().usage.hourly(q))).toEqual([
        [new Date(hour.getTime() - HOUR).toISOString(), expected((i) => i % 4 === 0)],
        [hour.toISOString(), expected((i) => i % 4 !== 0)],
      ]);
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
