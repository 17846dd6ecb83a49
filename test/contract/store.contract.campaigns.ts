// Store contract: contacts (one per number), campaigns (unique name, compare-and-set status),
// recipients (one per contact per campaign, keyset walk) and import records.
import { ConflictError } from '../../src/domain/errors';
import type { NewCampaign } from '../../src/store/store';
import type { StoreRef } from './store.contract.helpers';

const campaign = (over: Partial<NewCampaign> = {}): NewCampaign => ({
  workspaceId: 'w1', id: 'c1', name: 'term 1', channel: 'sms', message: 'Hello {{name}}', status: 'draft',
  validityHours: 48, recipients: 0, run: { messages: 0 }, ...over,
});

export function campaignsContract(s: StoreRef): void {
  describe('campaigns', () => {
    it('adds contacts once per number and workspace', async () => {
      const r = s().campaigns;
      expect(await r.addContacts('w1', [{ id: '254712000001', phone: '+254712000001', name: 'Ann' }, { id: '254712000002', phone: '+254712000002' }])).toBe(2);
      expect(await r.addContacts('w1', [{ id: '254712000001', phone: '+254712000001', name: 'Other' }, { id: '254712000003', phone: '+254712000003' }])).toBe(1);
      expect(await r.addContacts('w2', [{ id: '254712000001', phone: '+254712000001' }])).toBe(1);
      expect(await r.getContact('w1', '254712000001')).toMatchObject({ workspaceId: 'w1', phone: '+254712000001', name: 'Ann', createdAt: expect.any(Date) });
      expect(await r.getContact('w3', '254712000001')).toBeNull();
      const page = await r.listContacts('w1', { limit: 10, offset: 0 });
      expect(page.total).toBe(3);
      expect(page.items.map((c) => c.id)).toEqual(['254712000001', '254712000002', '254712000003']);
    });

    it('creates campaigns with a name unique per workspace and reads them back whole', async () => {
      const r = s().campaigns;
      const sendAt = new Date('2026-12-01T10:00:00.000Z');
      const c = await r.create(campaign({ sendAt, provider: 'twilio', strictProvider: true, warnings: ['w'] }));
      expect(c).toMatchObject({ id: 'c1', name: 'term 1', sendAt, provider: 'twilio', strictProvider: true, status: 'draft', run: { messages: 0 }, warnings: ['w'] });
      await expect(r.create(campaign({ id: 'c2' }))).rejects.toBeInstanceOf(ConflictError);
      await r.create(campaign({ id: 'c3', workspaceId: 'w2' }));
      expect((await r.getByName('w1', 'term 1'))?.id).toBe('c1');
      expect((await r.getByName('w2', 'term 1'))?.id).toBe('c3');
      expect(await r.get('nope')).toBeNull();
      expect((await r.list('w1', {}, { limit: 10, offset: 0 })).items.map((x) => x.id)).toEqual(['c1']);
    });

    it('moves status by compare-and-set, with a patch; a pause reason can be removed', async () => {
      const r = s().campaigns;
      await r.create(campaign());
      const startedAt = new Date();
      const running = await r.transition('c1', ['draft', 'scheduled'], 'running', { run: { messages: 0, startedAt }, validUntil: new Date(startedAt.getTime() + 1000) });
      expect(running).toMatchObject({ status: 'running', run: { startedAt } });
      expect(await r.transition('c1', ['draft'], 'running')).toBeNull();
      expect(await r.transition('c1', ['running'], 'paused', { pauseReason: 'insufficient_credit' })).toMatchObject({ status: 'paused', pauseReason: 'insufficient_credit' });
      const resumed = await r.transition('c1', ['paused'], 'running', { pauseReason: undefined });
      expect(resumed?.pauseReason).toBeUndefined();
      expect(await r.update('c1', { run: { messages: 5, cursor: 'x', startedAt } })).toMatchObject({ status: 'running', run: { messages: 5, cursor: 'x' } });
    });

    it('finds due campaigns by status and send time', async () => {
      const r = s().campaigns;
      const now = Date.now();
      await r.create(campaign({ id: 'past', name: 'a', status: 'scheduled', sendAt: new Date(now - 60_000) }));
      await r.create(campaign({ id: 'future', name: 'b', status: 'scheduled', sendAt: new Date(now + 60_000) }));
      await r.create(campaign({ id: 'draft', name: 'c', status: 'draft', sendAt: new Date(now - 60_000) }));
      expect((await r.findDue(['scheduled'], new Date(now), 10)).map((c) => c.id)).toEqual(['past']);
      expect((await r.list('w1', { status: 'scheduled', dueBefore: new Date(now) }, { limit: 10, offset: 0 })).items.map((c) => c.id)).toEqual(['past']);
    });

    it('adds recipients once per contact and walks them by contact id', async () => {
      const r = s().campaigns;
      const rec = (id: string, text = 'hi') => ({ campaignId: 'c1', contactId: id, to: `+${id}`, text });
      expect(await r.addRecipients([rec('254700000003'), rec('254700000001'), rec('254700000002')])).toBe(3);
      expect(await r.addRecipients([rec('254700000001', 'again'), rec('254700000004')])).toBe(1);
      expect(await r.addRecipients([{ ...rec('254700000001'), campaignId: 'c2' }])).toBe(1);
      expect(await r.countRecipients('c1')).toBe(4);
      const first = await r.recipientsAfter('c1', undefined, 2);
      expect(first).toEqual([rec('254700000001'), rec('254700000002')]);
      expect((await r.recipientsAfter('c1', '254700000002', 10)).map((x) => x.contactId)).toEqual(['254700000003', '254700000004']);
      expect(await r.recipientsAfter('c1', '254700000004', 10)).toEqual([]);
    });

    it('keeps import records, found by id or by Idempotency-Key', async () => {
      const r = s().campaigns;
      const report = { rowsRead: 2, rejected: [{ line: 3, column: 'recepient_nos', reason: 'bad' }] };
      await r.createImport({ workspaceId: 'w1', id: 'i1', status: 'running', dryRun: false, onError: 'reject', report: report as never, idempotencyKey: 'k1', bodyHash: 'h' });
      await expect(r.createImport({ workspaceId: 'w1', id: 'i1', status: 'running', dryRun: false, onError: 'reject', report: report as never })).rejects.toBeInstanceOf(ConflictError);
      expect(await r.findImportByKey('w1', 'k1')).toMatchObject({ id: 'i1', bodyHash: 'h' });
      expect(await r.findImportByKey('w2', 'k1')).toBeNull();
      expect(await r.updateImport('i1', { status: 'completed', report: { ...report, rowsRead: 3 } as never })).toMatchObject({ status: 'completed', report: { rowsRead: 3 } });
      expect(await r.getImport('i1')).toMatchObject({ status: 'completed', dryRun: false, createdAt: expect.any(Date) });
    });

    it('stores a message campaignId', async () => {
      const at = new Date();
      await s().messages.insertMany([
        {
          id: 'c1:254700000001:sms', workspaceId: 'w1', notificationId: 'c1', campaignId: 'c1', programId: '', eventTypeId: '', userId: '254700000001',
          channel: 'sms', to: '+254700000001', content: { text: 'hi' }, status: 'accepted', statusHistory: [{ status: 'accepted', at }], validUntil: at, attempts: 0,
        },
      ]);
      expect((await s().messages.get('c1:254700000001:sms'))?.campaignId).toBe('c1');
    });
  });
}
