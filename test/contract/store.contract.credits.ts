// Store contract: credit accounts and the ledger (conditional reserve, refund once, top-ups once per id).
import { NotFoundError, UnprocessableError } from '../../src/domain/errors';
import type { ReserveItem } from '../../src/store/store';
import type { StoreRef } from './store.contract.helpers';

const item = (n: number, cost = 100, notificationId = 'n1'): ReserveItem => ({ messageId: `${notificationId}:u${n}:sms`, notificationId, cost });
const items = (count: number, cost = 100) => Array.from({ length: count }, (_, i) => item(i, cost));

export function creditsContract(s: StoreRef): void {
  describe('credits', () => {
    it('opens an account once, with its opening balance as a top-up; a second open leaves it alone', async () => {
      const acc = await s().credits.open('w1', { balance: 5000 });
      expect(acc).toMatchObject({ workspaceId: 'w1', balance: 5000 });
      expect(await s().credits.open('w1', { balance: 1 })).toMatchObject({ balance: 5000 });
      expect(await s().credits.get('w1')).toMatchObject({ workspaceId: 'w1', balance: 5000, createdAt: expect.any(Date) });
      expect(await s().credits.get('nope')).toBeNull();
      expect(await s().credits.open('free', { balance: null })).toMatchObject({ workspaceId: 'free', balance: null });
      const page = await s().credits.ledger('w1', {}, { limit: 10, offset: 0 });
      expect(page.items).toEqual([expect.objectContaining({ kind: 'top-up', amount: 5000, balanceAfter: 5000 })]);
      expect(await s().credits.ledgerSum('w1')).toBe(5000);
    });

    it('tops up once per id: the same id answers the first entry, and nothing is added again', async () => {
      await s().credits.open('w1', { balance: 0 });
      const first = await s().credits.move('w1', { id: 'top-up:w1:k1', kind: 'top-up', amount: 2500, requestHash: 'h' });
      expect(first).toMatchObject({ replayed: false, entry: { id: 'top-up:w1:k1', kind: 'top-up', amount: 2500, balanceAfter: 2500, requestHash: 'h' } });
      await s().credits.move('w1', { id: 'top-up:w1:k2', kind: 'top-up', amount: 500 });
      const again = await s().credits.move('w1', { id: 'top-up:w1:k1', kind: 'top-up', amount: 2500, requestHash: 'h' });
      expect(again).toMatchObject({ replayed: true, entry: { amount: 2500, balanceAfter: 2500 } });
      expect((await s().credits.get('w1'))!.balance).toBe(3000);
      expect(await s().credits.ledgerSum('w1')).toBe(3000);
    });

    it('refuses a movement on a missing or unmetered account, or below zero, writing nothing', async () => {
      await expect(s().credits.move('ghost', { id: 'x1', kind: 'top-up', amount: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await s().credits.open('free', { balance: null });
      await expect(s().credits.move('free', { id: 'x2', kind: 'top-up', amount: 1 })).rejects.toBeInstanceOf(UnprocessableError);
      await s().credits.open('w1', { balance: 100 });
      await expect(s().credits.move('w1', { id: 'x3', kind: 'adjustment', amount: -101 })).rejects.toBeInstanceOf(UnprocessableError);
      expect((await s().credits.get('w1'))!.balance).toBe(100);
      expect((await s().credits.ledger('w1', {}, { limit: 10, offset: 0 })).total).toBe(1);
      expect((await s().credits.ledger('free', {}, { limit: 10, offset: 0 })).total).toBe(0);
      await s().credits.move('w1', { id: 'x4', kind: 'adjustment', amount: -100, note: 'correction' });
      expect((await s().credits.get('w1'))!.balance).toBe(0);
    });

    it('reserves in order what the balance covers, never below zero, and only once per message', async () => {
      await s().credits.open('w1', { balance: 450 });
      const covered = await s().credits.reserve('w1', items(6));
      expect(covered.sort()).toEqual(items(4).map((i) => i.messageId).sort());
      expect((await s().credits.get('w1'))!.balance).toBe(50);
      expect(await s().credits.reserved('w1')).toBe(400);
      // A resumed fan-out: the same messages again are covered without a second charge.
      expect((await s().credits.reserve('w1', items(4))).sort()).toEqual(items(4).map((i) => i.messageId).sort());
      expect((await s().credits.get('w1'))!.balance).toBe(50);
      expect(await s().credits.reserve('w1', [item(9, 60)])).toEqual([]);
      expect(await s().credits.reserve('w1', [item(9, 50)])).toEqual([item(9).messageId]);
      expect((await s().credits.get('w1'))!.balance).toBe(0);
      expect(await s().credits.ledgerSum('w1')).toBe(0);
      const reserves = await s().credits.ledger('w1', { kind: 'reserve' }, { limit: 50, offset: 0 });
      expect(reserves.total).toBe(5);
      expect(reserves.items[0]).toMatchObject({ kind: 'reserve', state: 'held', notificationId: 'n1', messageId: expect.any(String) });
    });

    it('reserves, re-reserves and refunds hundreds of messages at once, each once', async () => {
      await s().credits.open('w1', { balance: 30_000 });
      const many = items(250);
      const ids = many.map((i) => i.messageId);
      expect((await s().credits.reserve('w1', many)).sort()).toEqual(ids.slice().sort());
      // Again (a resumed fan-out): covered, not charged twice.
      expect((await s().credits.reserve('w1', many)).sort()).toEqual(ids.slice().sort());
      expect((await s().credits.get('w1'))!.balance).toBe(5_000);
      // Under a low balance: the 250 already held count, then what 5,000 covers of 150 more.
      const more = Array.from({ length: 150 }, (_, i) => item(i, 100, 'n2'));
      const covered = await s().credits.reserve('w1', [...many, ...more]);
      expect(covered).toHaveLength(300);
      expect(covered.filter((id) => id.startsWith('n2:'))).toHaveLength(50);
      expect((await s().credits.get('w1'))!.balance).toBe(0);
      const refunds = await s().credits.refund([...ids, ...ids.slice(0, 10), 'never-reserved']);
      expect(refunds).toHaveLength(250);
      expect(await s().credits.refund(ids)).toEqual([]);
      expect((await s().credits.get('w1'))!.balance).toBe(25_000);
      expect(await s().credits.reserved('w1')).toBe(5_000);
      expect(await s().credits.ledgerSum('w1')).toBe(25_000);
    });

    it('covers everything and writes nothing when unmetered or without an account; free items need no balance', async () => {
      await s().credits.open('free', { balance: null });
      expect(await s().credits.reserve('free', items(3))).toHaveLength(3);
      expect(await s().credits.reserve('ghost', items(2))).toHaveLength(2);
      await s().credits.open('w0', { balance: 0 });
      expect(await s().credits.reserve('w0', [item(1, 0), item(2, 100)])).toEqual([item(1).messageId]);
      expect((await s().credits.ledger('free', {}, { limit: 10, offset: 0 })).total).toBe(0);
    });

    it('refunds once, whether charged before or not; a charge after a refund changes nothing', async () => {
      await s().credits.open('w1', { balance: 1000 });
      await s().credits.reserve('w1', items(3));
      expect(await s().credits.charge([item(0).messageId, item(1).messageId])).toBe(2);
      expect(await s().credits.charge([item(0).messageId])).toBe(0);
      expect(await s().credits.reserved('w1')).toBe(100);
      const refunds = await s().credits.refund([item(1).messageId, item(2).messageId, 'never-reserved']);
      expect(refunds.map((r) => [r.kind, r.amount, r.messageId]).sort()).toEqual([
        ['refund', 100, item(1).messageId],
        ['refund', 100, item(2).messageId],
      ]);
      expect(await s().credits.refund([item(1).messageId, item(2).messageId])).toEqual([]);
      expect(await s().credits.charge([item(2).messageId])).toBe(0);
      expect((await s().credits.get('w1'))!.balance).toBe(900);
      expect(await s().credits.reserved('w1')).toBe(0);
      expect(await s().credits.ledgerSum('w1')).toBe(900);
      expect((await s().credits.ledger('w1', { messageId: item(1).messageId }, { limit: 10, offset: 0 })).items.map((e) => e.kind).sort()).toEqual(['refund', 'reserve']);
    });

    it('refunds a batch across workspaces, each message once even when asked twice in one call, each balance its own', async () => {
      await s().credits.open('w1', { balance: 1000 });
      await s().credits.open('w2', { balance: 1000 });
      await s().credits.reserve('w1', [item(1, 100), item(2, 200)]);
      await s().credits.reserve('w2', [item(3, 300, 'n2')]);
      await s().credits.charge([item(2).messageId]);
      const refunds = await s().credits.refund([item(2).messageId, item(3, 300, 'n2').messageId, item(2).messageId, 'never-reserved']);
      expect(refunds.map((r) => [r.workspaceId, r.amount, r.messageId, r.notificationId])).toEqual([
        ['w1', 200, item(2).messageId, 'n1'],
        ['w2', 300, item(3, 300, 'n2').messageId, 'n2'],
      ]);
      expect((await s().credits.get('w1'))!.balance).toBe(900);
      expect((await s().credits.get('w2'))!.balance).toBe(1000);
      expect(await s().credits.reserved('w1')).toBe(100);
      expect(await s().credits.ledgerSum('w1')).toBe(900);
      expect(await s().credits.ledgerSum('w2')).toBe(1000);
    });

    it('lets many concurrent spenders take at most the balance, and refunds them all exactly once', async () => {
      await s().credits.open('w1', { balance: 1000 });
      const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 5 }, (_, i) => item(b * 10 + i, 50, `n${b}`)));
      const results = await Promise.all(batches.map((b) => s().credits.reserve('w1', b)));
      const covered = results.flat();
      expect(covered).toHaveLength(20);
      expect((await s().credits.get('w1'))!.balance).toBe(0);
      const again = await Promise.all([s().credits.refund(covered), s().credits.refund(covered), s().credits.refund(covered)]);
      expect(again.flat()).toHaveLength(20);
      expect((await s().credits.get('w1'))!.balance).toBe(1000);
      expect(await s().credits.ledgerSum('w1')).toBe(1000);
    });

    it('leaves nothing half-written after reserves: nothing to settle, and the ledger sums to the balance', async () => {
      await s().credits.open('w1', { balance: 1000 });
      await s().credits.reserve('w1', items(4, 100));
      // 600 left: the 700 one does not fit, the 300 one does (the slow path of a partial batch).
      expect(await s().credits.reserve('w1', [item(9, 700), item(10, 300)])).toEqual([item(10).messageId]);
      expect(await s().credits.settlePending(new Date(Date.now() + 60_000))).toBe(0);
      expect((await s().credits.get('w1'))!.balance).toBe(300);
      expect(await s().credits.ledgerSum('w1')).toBe(300);
    });

    it('with `background`, resolves once the balance is taken; after the write it hands over, the ledger sums to the balance', async () => {
      await s().credits.open('w1', { balance: 1000 });
      const writes: Array<Promise<void>> = [];
      const background = (entries: Promise<void>) => void writes.push(entries);
      expect((await s().credits.reserve('w1', items(3), { background })).sort()).toEqual(items(3).map((i) => i.messageId).sort());
      expect((await s().credits.get('w1'))!.balance).toBe(700);
      // A resumed fan-out at once, while the first entries may still be on their way: covered, taken once.
      expect((await s().credits.reserve('w1', items(4), { background })).sort()).toEqual(items(4).map((i) => i.messageId).sort());
      await Promise.all(writes);
      expect((await s().credits.get('w1'))!.balance).toBe(600);
      expect(await s().credits.ledgerSum('w1')).toBe(600);
      expect(await s().credits.reserved('w1')).toBe(400);
      expect(await s().credits.settlePending(new Date(Date.now() + 60_000))).toBe(0);
      expect(await s().credits.charge(items(4).map((i) => i.messageId))).toBe(4);
    });

    it('writes one entry per priced item of a batch, with its own amount and owner; free items none', async () => {
      await s().credits.open('w1', { balance: 1000 });
      const batch: ReserveItem[] = [item(1, 0), { ...item(2, 250, 'c1'), campaignId: 'c1' }, item(3, 100), item(4, 0), item(5, 30)];
      expect((await s().credits.reserve('w1', batch)).sort()).toEqual(batch.map((i) => i.messageId).sort());
      expect((await s().credits.get('w1'))!.balance).toBe(620);
      const { items: entries, total } = await s().credits.ledger('w1', { kind: 'reserve' }, { limit: 10, offset: 0 });
      expect(total).toBe(3);
      const byMessage = new Map(entries.map((e) => [e.messageId, e]));
      expect(byMessage.get(item(2, 250, 'c1').messageId)).toMatchObject({ amount: -250, state: 'held', notificationId: 'c1', campaignId: 'c1', workspaceId: 'w1' });
      expect(byMessage.get(item(3).messageId)).toMatchObject({ amount: -100, notificationId: 'n1' });
      expect(byMessage.get(item(3).messageId)!.campaignId).toBeUndefined();
      expect(byMessage.get(item(5).messageId)).toMatchObject({ amount: -30 });
      expect(await s().credits.reserved('w1')).toBe(380);
      expect(await s().credits.ledgerSum('w1')).toBe(620);
    });

    it('finds held reservations older than a time, oldest first', async () => {
      await s().credits.open('w1', { balance: 1000 });
      await s().credits.reserve('w1', items(3));
      await s().credits.charge([item(0).messageId]);
      const held = await s().credits.findHeld(new Date(Date.now() + 1000), 10);
      expect(held.map((e) => e.messageId).sort()).toEqual([item(1).messageId, item(2).messageId].sort());
      expect(await s().credits.findHeld(new Date(Date.now() - 60_000), 10)).toEqual([]);
    });

    it('pages the ledger newest first with a total', async () => {
      await s().credits.open('w1', { balance: 10 });
      for (let i = 1; i <= 4; i++) await s().credits.move('w1', { id: `t${i}`, kind: 'top-up', amount: i });
      const page = await s().credits.ledger('w1', { kind: 'top-up' }, { limit: 2, offset: 1 });
      expect(page).toMatchObject({ total: 5, limit: 2, offset: 1 });
      expect(page.items.map((e) => e.amount)).toEqual([3, 2]);
    });
  });
}
