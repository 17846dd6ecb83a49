// Store contract: contact lists (workspace-scoped), members once per (list, contact), walked by
// contact id with their contact records; deleting a list keeps the contacts; contact search by prefix.
import type { StoreRef } from './store.contract.helpers';

const phones = (...ids: string[]) => ids.map((id) => ({ id, phone: `+${id}` }));

export function contactsContract(s: StoreRef): void {
  describe('contact lists', () => {
    it('creates lists in their workspace; another workspace sees none of them', async () => {
      const r = s().contactLists;
      const l = await r.create({ workspaceId: 'w1', id: 'l1', name: 'Class of 2027' });
      expect(l).toMatchObject({ workspaceId: 'w1', id: 'l1', name: 'Class of 2027', createdAt: expect.any(Date) });
      await r.create({ workspaceId: 'w1', id: 'l2', name: 'Staff' });
      await r.create({ workspaceId: 'w2', id: 'l3', name: 'Other' });
      expect(await r.get('w2', 'l1')).toBeNull();
      const page = await r.list('w1', { limit: 10, offset: 0 });
      expect(page.total).toBe(2);
      expect(page.items.map((x) => x.id)).toEqual(['l1', 'l2']);
      expect(await r.delete('w2', 'l1')).toBe(false);
      expect(await r.addMembers('w2', 'l1', ['254700000001'])).toBe(0);
    });

    it('adds a contact once per list and walks members by contact id with their contact records', async () => {
      await s().campaigns.addContacts('w1', [...phones('254700000003', '254700000001', '254700000002'), { id: '254700000004', phone: '+254700000004', name: 'Ann' }]);
      const r = s().contactLists;
      await r.create({ workspaceId: 'w1', id: 'l1', name: 'a' });
      await r.create({ workspaceId: 'w1', id: 'l2', name: 'b' });
      expect(await r.addMembers('w1', 'l1', ['254700000003', '254700000001', '254700000002'])).toBe(3);
      expect(await r.addMembers('w1', 'l1', ['254700000001', '254700000004'])).toBe(1);
      expect(await r.addMembers('w1', 'l2', ['254700000001'])).toBe(1);
      expect(await r.countMembers('w1', 'l1')).toBe(4);
      expect(await r.countMembers('w2', 'l1')).toBe(0);
      const first = await r.membersAfter('w1', 'l1', undefined, 2);
      expect(first.map((c) => c.phone)).toEqual(['+254700000001', '+254700000002']);
      const rest = await r.membersAfter('w1', 'l1', '254700000002', 10);
      expect(rest.map((c) => c.id)).toEqual(['254700000003', '254700000004']);
      expect(rest[1]).toMatchObject({ workspaceId: 'w1', phone: '+254700000004', name: 'Ann' });
      expect(await r.membersAfter('w1', 'l1', '254700000004', 10)).toEqual([]);
      expect(await r.membersAfter('w2', 'l1', undefined, 10)).toEqual([]);
    });

    it('walks a list of hundreds in order, and never returns a contact of another workspace', async () => {
      const ids = Array.from({ length: 250 }, (_, i) => `2547${String(i).padStart(8, '0')}`);
      await s().campaigns.addContacts('w1', phones(...ids.slice().reverse()));
      // Members whose contact is another workspace's, under the same id or one that reads as w1's key.
      await s().campaigns.addContacts('w2', phones('254799000001'));
      await s().campaigns.addContacts('default', [{ id: 'w1:254799000002', phone: '+254799000002' }]);
      const r = s().contactLists;
      await r.create({ workspaceId: 'w1', id: 'l1', name: 'a' });
      expect(await r.addMembers('w1', 'l1', [...ids, '254799000001', '254799000002'])).toBe(252);
      const first = await r.membersAfter('w1', 'l1', undefined, 150);
      expect(first.map((c) => c.id)).toEqual(ids.slice(0, 150));
      expect(first.every((c) => c.workspaceId === 'w1')).toBe(true);
      const rest = await r.membersAfter('w1', 'l1', ids[149], 500);
      expect(rest.map((c) => c.id)).toEqual(ids.slice(150));
      expect(rest[99]).toMatchObject({ workspaceId: 'w1', phone: `+${ids[249]}` });
    });

    it('deletes a list with its memberships, never the contacts', async () => {
      await s().campaigns.addContacts('w1', phones('254700000001'));
      const r = s().contactLists;
      await r.create({ workspaceId: 'w1', id: 'l1', name: 'a' });
      await r.addMembers('w1', 'l1', ['254700000001']);
      expect(await r.delete('w1', 'l1')).toBe(true);
      expect(await r.get('w1', 'l1')).toBeNull();
      expect(await r.delete('w1', 'l1')).toBe(false);
      await r.create({ workspaceId: 'w1', id: 'l1', name: 'again' });
      expect(await r.countMembers('w1', 'l1')).toBe(0);
      expect(await s().campaigns.getContact('w1', '254700000001')).not.toBeNull();
    });

    it('searches the workspace contacts by number prefix', async () => {
      await s().campaigns.addContacts('w1', phones('254700000001', '254711000002', '255700000003'));
      await s().campaigns.addContacts('w2', phones('254700000009'));
      const r = s().contactLists;
      expect((await r.searchContacts('w1', {}, { limit: 10, offset: 0 })).total).toBe(3);
      const hit = await r.searchContacts('w1', { idPrefix: '2547' }, { limit: 10, offset: 0 });
      expect(hit.total).toBe(2);
      expect(hit.items.map((c) => c.phone)).toEqual(['+254700000001', '+254711000002']);
      expect((await r.searchContacts('w1', { idPrefix: '25471' }, { limit: 10, offset: 0 })).items.map((c) => c.id)).toEqual(['254711000002']);
      expect((await r.searchContacts('w1', { idPrefix: '9' }, { limit: 10, offset: 0 })).total).toBe(0);
    });
  });
}
