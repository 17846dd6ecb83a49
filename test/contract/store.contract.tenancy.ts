// Store contract, tenancy side: workspaces, API keys, shared rate-limit windows, and the
// isolation of every workspace-owned record.
import { ConflictError } from '../../src/domain/errors';
import type { Store } from '../../src/store/store';
import { notification } from './store.contract.dispatch';
import type { StoreRef } from './store.contract.helpers';

const page = { limit: 50, offset: 0 };

/** The same ids in workspaces A and B, with different contents. */
async function twinCatalog(store: Store): Promise<void> {
  for (const ws of ['A', 'B']) {
    await store.programs.create(ws, { id: 'p1', name: `program of ${ws}` });
    await store.eventTypes.create(ws, { programId: 'p1', id: 'e1', name: `event of ${ws}`, templates: {} });
    await store.users.create(ws, { id: 'u1', name: `user of ${ws}`, phone: ws === 'A' ? '+254700000001' : '+254700000002' });
    await store.subscriptions.create(ws, { id: 's1', userId: 'u1', programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
  }
}

export function tenancyContract(s: StoreRef): void {
  describe('workspaces', () => {
    it('creates, reads, lists, refuses a duplicate id and ensures without overwriting', async () => {
      const w = await s().workspaces.create({ id: 'uni', name: 'University' });
      expect(w).toEqual({ id: 'uni', name: 'University', createdAt: expect.any(Date), updatedAt: expect.any(Date) });
      expect(await s().workspaces.get('uni')).toEqual(w);
      expect(await s().workspaces.get('nope')).toBeNull();
      await expect(s().workspaces.create({ id: 'uni', name: 'Other' })).rejects.toBeInstanceOf(ConflictError);
      expect(await s().workspaces.ensure({ id: 'uni', name: 'Renamed?' })).toMatchObject({ name: 'University' });
      expect(await s().workspaces.ensure({ id: 'default', name: 'Default' })).toMatchObject({ id: 'default', name: 'Default' });
      expect(await s().workspaces.ensure({ id: 'default', name: 'Default' })).toMatchObject({ id: 'default' });
      const all = await s().workspaces.list(page);
      expect(all.items.map((x) => x.id).sort()).toEqual(['default', 'uni']);
      expect(all.total).toBe(2);
    });
  });

  describe('api keys', () => {
    const key = (id: string, workspaceId: string) => ({ id, workspaceId, role: 'sender' as const, name: id, prefix: `hk_${id}`, hash: 'ab'.repeat(32) });

    it('stores the hash, lists per workspace, revokes once and counts the active ones', async () => {
      const k = await s().apiKeys.create(key('k1', 'A'));
      expect(k).toEqual({ ...key('k1', 'A'), createdAt: expect.any(Date), updatedAt: expect.any(Date) });
      await s().apiKeys.create(key('k2', 'A'));
      await s().apiKeys.create(key('k3', 'B'));
      await expect(s().apiKeys.create(key('k1', 'B'))).rejects.toBeInstanceOf(ConflictError);
      expect((await s().apiKeys.list('A', page)).items.map((x) => x.id)).toEqual(['k1', 'k2']);
      expect(await s().apiKeys.countActive()).toBe(3);
      expect(await s().apiKeys.revoke('B', 'k1', new Date())).toBeNull(); // another workspace's key
      const at = new Date('2030-01-01T00:00:00.000Z');
      expect(await s().apiKeys.revoke('A', 'k1', at)).toMatchObject({ id: 'k1', revokedAt: at });
      expect(await s().apiKeys.revoke('A', 'k1', new Date('2031-01-01T00:00:00.000Z'))).toMatchObject({ revokedAt: at });
      expect(await s().apiKeys.countActive()).toBe(2);
      await s().apiKeys.touch('k2', at);
      expect(await s().apiKeys.get('k2')).toMatchObject({ lastUsedAt: at });
      await s().apiKeys.touch('missing', at);
      expect(await s().apiKeys.get('missing')).toBeNull();
    });
  });

  describe('rate-limit windows', () => {
    it('counts hits per key and window, takes one back, resets a key and prunes expired windows', async () => {
      const later = new Date(Date.now() + 60_000);
      expect(await s().rateLimits.hit('k', 1000, later)).toBe(1);
      expect(await s().rateLimits.hit('k', 1000, later)).toBe(2);
      expect(await s().rateLimits.hit('other', 1000, later)).toBe(1);
      expect(await s().rateLimits.hit('k', 2000, later)).toBe(1);
      await s().rateLimits.unhit('k', 1000);
      expect(await s().rateLimits.hit('k', 1000, later)).toBe(2);
      await s().rateLimits.reset('k');
      expect(await s().rateLimits.hit('k', 1000, later)).toBe(1);
      await s().rateLimits.hit('old', 0, new Date(Date.now() - 1000));
      expect(await s().rateLimits.prune(new Date())).toBe(1);
      expect(await s().rateLimits.hit('old', 0, later)).toBe(1);
    });
  });

  describe('workspace isolation', () => {
    it('keeps ids unique per workspace only', async () => {
      await twinCatalog(s());
      expect(await s().programs.get('A', 'p1')).toMatchObject({ workspaceId: 'A', name: 'program of A' });
      expect(await s().programs.get('B', 'p1')).toMatchObject({ workspaceId: 'B', name: 'program of B' });
      expect(await s().eventTypes.get('B', 'p1', 'e1')).toMatchObject({ name: 'event of B' });
      expect(await s().users.get('A', 'u1')).toMatchObject({ phone: '+254700000001' });
      await expect(s().programs.create('A', { id: 'p1', name: 'again' })).rejects.toBeInstanceOf(ConflictError);
      await expect(s().users.create('B', { id: 'u1', name: 'again' })).rejects.toBeInstanceOf(ConflictError);
      await expect(s().subscriptions.create('A', { id: 's2', userId: 'u1', programId: 'p1', eventTypeId: 'e1', channels: ['email'] })).rejects.toBeInstanceOf(ConflictError);
    });

    it("never reads, lists, changes or deletes another workspace's records", async () => {
      await twinCatalog(s());
      expect(await s().programs.get('C', 'p1')).toBeNull();
      expect((await s().programs.list('C', page)).total).toBe(0);
      expect((await s().users.list('C', page)).total).toBe(0);
      expect((await s().eventTypes.list('C', 'p1', page)).total).toBe(0);
      expect((await s().subscriptions.list('C', {}, page)).total).toBe(0);
      expect(await s().programs.update('C', 'p1', { name: 'x' })).toBeNull();
      expect(await s().users.update('C', 'u1', { name: 'x' })).toBeNull();
      expect(await s().eventTypes.update('C', 'p1', 'e1', { name: 'x' })).toBeNull();
      expect(await s().subscriptions.update('C', 's1', { channels: ['email'] })).toBeNull();
      expect(await s().subscriptions.delete('C', 's1')).toBe(false);
      expect(await s().eventTypes.delete('C', 'p1', 'e1')).toBe(false);
      expect(await s().users.delete('C', 'u1')).toBe(false);
      expect(await s().programs.delete('C', 'p1')).toBe(false);
      // A's deletes cascade inside A only.
      expect(await s().programs.delete('A', 'p1')).toBe(true);
      expect(await s().users.delete('A', 'u1')).toBe(true);
      expect(await s().eventTypes.get('A', 'p1', 'e1')).toBeNull();
      expect(await s().programs.get('B', 'p1')).toMatchObject({ name: 'program of B' });
      expect(await s().eventTypes.get('B', 'p1', 'e1')).toMatchObject({ name: 'event of B' });
      expect(await s().subscriptions.get('B', 's1')).toMatchObject({ channels: ['sms'] });
      expect((await s().subscriptions.list('B', {}, page)).total).toBe(1);
    });

    it("fans out to the notification's workspace's users only", async () => {
      await twinCatalog(s());
      const batches: string[] = [];
      for await (const b of s().subscriptions.subscriberBatches('A', 'p1', 'e1', undefined, 10)) batches.push(...b.map((x) => `${x.user.workspaceId}:${x.user.phone}`));
      expect(batches).toEqual(['A:+254700000001']);
      const page1 = await s().subscriptions.subscribersAfter('B', 'p1', 'e1', undefined, 10);
      expect(page1.map((x) => x.user.phone)).toEqual(['+254700000002']);
      expect(await s().subscriptions.subscribersAfter('C', 'p1', 'e1', undefined, 10)).toEqual([]);
    });

    it("lists and counts notifications and log lines of one workspace", async () => {
      await s().notifications.create(notification('na', { workspaceId: 'A' }));
      await s().notifications.create(notification('nb', { workspaceId: 'B' }));
      expect((await s().notifications.get('nb'))!.workspaceId).toBe('B');
      const listA = await s().notifications.list({ workspaceId: 'A' }, page);
      expect(listA.items.map((n) => n.id)).toEqual(['na']);
      expect(listA.total).toBe(1);
      expect((await s().notifications.list({ workspaceId: 'C', programId: 'p1' }, page)).total).toBe(0);
      const t = new Date();
      await s().logs.append([
        { time: t, level: 'info', process: 'x', message: 'a', workspaceId: 'A' },
        { time: t, level: 'info', process: 'x', message: 'b', workspaceId: 'B' },
        { time: t, level: 'info', process: 'x', message: 'system' },
      ]);
      expect((await s().logs.query({ workspaceId: 'A', limit: 10 })).map((l) => [l.message, l.workspaceId])).toEqual([['a', 'A']]);
      expect((await s().logs.query({ limit: 10 })).map((l) => l.message)).toEqual(['a', 'b', 'system']);
    });
  });
}
