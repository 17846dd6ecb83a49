// Store contract: Google Sheets export targets (state, leases) and staged rows (once per event, pending until exported).
import type { StagedRow } from '../../src/domain/sheets';
import type { StoreRef } from './store.contract.helpers';

const target = (id: string, over: Record<string, unknown> = {}) => ({
  id, workspaceId: 'w1', programId: 'p1', spreadsheetId: 'sheet-abc', sheetName: 'Events', keyFile: '/keys/sa.json', ...over,
});
const row = (targetId: string, n: number, at = new Date(Date.UTC(2030, 0, 1, 0, 0, n))): StagedRow => ({
  targetId, rowId: `n${n}`, record: { id: `n${n}`, time: at.toISOString(), eventType: 'e1', 'customer.name': `C${n}`, amount: n, paid: n % 2 === 0 }, createdAt: at,
});

export function sheetsContract(s: StoreRef): void {
  describe('sheet exports', () => {
    it('creates an active target with an empty header and lists it by workspace, program and status', async () => {
      const t = await s().sheetExports.create(target('x1', { eventTypeId: 'e1' }));
      expect(t).toMatchObject({ id: 'x1', workspaceId: 'w1', programId: 'p1', eventTypeId: 'e1', status: 'active', header: [], rowsExported: 0, inflight: false });
      expect(t.createdAt).toBeInstanceOf(Date);
      await s().sheetExports.create(target('x2', { programId: 'p2', keyFile: undefined }));
      expect((await s().sheetExports.get('x2'))!.keyFile).toBeUndefined();
      expect((await s().sheetExports.list({ workspaceId: 'w1', programId: 'p1' })).map((x) => x.id)).toEqual(['x1']);
      expect((await s().sheetExports.list({})).map((x) => x.id).sort()).toEqual(['x1', 'x2']);
      expect(await s().sheetExports.list({ workspaceId: 'w2' })).toEqual([]);
      await s().sheetExports.update('x2', { status: 'paused', error: { code: 'PERMISSION_DENIED', message: 'no', at: new Date() } });
      expect((await s().sheetExports.list({ status: 'active' })).map((x) => x.id)).toEqual(['x1']);
      expect(await s().sheetExports.get('nope')).toBeNull();
    });

    it('keeps an outcomes sheet as its own record, found by kind and parent', async () => {
      expect((await s().sheetExports.create(target('x1'))).kind).toBe('events');
      const child = await s().sheetExports.create(target('x1-outcomes', { kind: 'outcomes', parentId: 'x1', sheetName: 'Outcomes' }));
      expect(child).toMatchObject({ kind: 'outcomes', parentId: 'x1', sheetName: 'Outcomes', status: 'active' });
      expect((await s().sheetExports.list({ programId: 'p1', kind: 'events' })).map((x) => x.id)).toEqual(['x1']);
      expect((await s().sheetExports.list({ kind: 'outcomes' })).map((x) => x.id)).toEqual(['x1-outcomes']);
      expect((await s().sheetExports.list({ parentId: 'x1' })).map((x) => x.id)).toEqual(['x1-outcomes']);
    });

    it('updates state, adds exported rows, and clears a field given as undefined', async () => {
      await s().sheetExports.create(target('x1'));
      const at = new Date('2030-01-01T00:00:00.000Z');
      const paused = await s().sheetExports.update('x1', { status: 'paused', error: { code: 'SHEET_NOT_FOUND', message: 'gone', at } });
      expect(paused).toMatchObject({ status: 'paused', error: { code: 'SHEET_NOT_FOUND', message: 'gone', at } });
      const moved = await s().sheetExports.update('x1', { header: ['id', 'time', 'eventType', 'a.b'], nextRow: 12, lastRowId: 'n9', lastExportedAt: at, inflight: true }, 10);
      expect(moved).toMatchObject({ header: ['id', 'time', 'eventType', 'a.b'], nextRow: 12, lastRowId: 'n9', inflight: true, rowsExported: 10 });
      const again = await s().sheetExports.update('x1', { status: 'active', error: undefined, inflight: false }, 5);
      expect(again!.error).toBeUndefined();
      expect(again).toMatchObject({ status: 'active', inflight: false, rowsExported: 15, nextRow: 12 });
      expect(await s().sheetExports.update('ghost', { inflight: true })).toBeNull();
    });

    it('leases a target to one owner at a time until released or expired', async () => {
      await s().sheetExports.create(target('x1'));
      const now = new Date();
      const later = new Date(now.getTime() + 60_000);
      expect(await s().sheetExports.claim('x1', 'a', later, now)).toMatchObject({ id: 'x1', leaseOwner: 'a' });
      expect(await s().sheetExports.claim('x1', 'b', later, now)).toBeNull();
      expect(await s().sheetExports.claim('x1', 'a', later, now)).not.toBeNull();
      await s().sheetExports.release('x1', 'b');
      expect(await s().sheetExports.claim('x1', 'b', later, now)).toBeNull();
      await s().sheetExports.release('x1', 'a');
      expect(await s().sheetExports.claim('x1', 'b', later, now)).toMatchObject({ leaseOwner: 'b' });
      // b's lease expires: a takes it over.
      expect(await s().sheetExports.claim('x1', 'a', later, new Date(later.getTime() + 1))).toMatchObject({ leaseOwner: 'a' });
      expect(await s().sheetExports.claim('ghost', 'a', later, now)).toBeNull();
    });

    it('stages each event once per target, keeps staging order, and never re-stages an exported one', async () => {
      await s().sheetExports.create(target('x1'));
      await s().sheetExports.create(target('x2'));
      expect(await s().sheetExports.stage([row('x1', 1), row('x1', 2), row('x1', 3), row('x2', 1)])).toBe(4);
      expect(await s().sheetExports.stage([row('x1', 2), row('x1', 4)])).toBe(1);
      const pending = await s().sheetExports.pending('x1', 10);
      expect(pending.map((r) => r.rowId)).toEqual(['n1', 'n2', 'n3', 'n4']);
      expect(pending[0]).toEqual(row('x1', 1));
      expect((await s().sheetExports.pending('x1', 2)).map((r) => r.rowId)).toEqual(['n1', 'n2']);
      expect(await s().sheetExports.pendingCount('x1')).toBe(4);
      expect(await s().sheetExports.markExported('x1', ['n1', 'n2', 'zz'], new Date())).toBe(2);
      expect(await s().sheetExports.markExported('x1', ['n1'], new Date())).toBe(0);
      expect((await s().sheetExports.pending('x1', 10)).map((r) => r.rowId)).toEqual(['n3', 'n4']);
      expect(await s().sheetExports.stage([row('x1', 1), row('x1', 2)])).toBe(0);
      expect(await s().sheetExports.pendingCount('x1')).toBe(2);
      expect(await s().sheetExports.pendingCount('x2')).toBe(1);
    });

    it('forgets rows exported before a time, never pending ones', async () => {
      await s().sheetExports.create(target('x1'));
      await s().sheetExports.stage([row('x1', 1), row('x1', 2), row('x1', 3)]);
      await s().sheetExports.markExported('x1', ['n1'], new Date('2030-01-01T00:00:00Z'));
      await s().sheetExports.markExported('x1', ['n2'], new Date('2030-01-09T00:00:00Z'));
      expect(await s().sheetExports.pruneExported(new Date('2030-01-05T00:00:00Z'))).toBe(1);
      expect(await s().sheetExports.pendingCount('x1')).toBe(1);
      // n2 is still remembered (not staged again); n1 is forgotten.
      expect(await s().sheetExports.stage([row('x1', 1), row('x1', 2)])).toBe(1);
    });

    it('deleting a target deletes its staged rows, not another target', async () => {
      await s().sheetExports.create(target('x1'));
      await s().sheetExports.create(target('x2'));
      await s().sheetExports.stage([row('x1', 1), row('x2', 1)]);
      expect(await s().sheetExports.delete('x1')).toBe(true);
      expect(await s().sheetExports.delete('x1')).toBe(false);
      expect(await s().sheetExports.get('x1')).toBeNull();
      expect(await s().sheetExports.pendingCount('x1')).toBe(0);
      expect(await s().sheetExports.pendingCount('x2')).toBe(1);
    });
  });
}
