// The store conformance suite: every adapter runs exactly these tests, unchanged.
import { ConflictError, StoreUnavailableError } from '../../src/domain/errors';
import type { Store } from '../../src/store/store';
import { dispatchContract } from './store.contract.dispatch';
import { messagesContract } from './store.contract.messages';
import { logsContract } from './store.contract.logs';
import { messageLookupsContract } from './store.contract.message-lookups';
import { providerControlContract } from './store.contract.providers';
import { idempotencyContract } from './store.contract.idempotency';
import { usageContract } from './store.contract.usage';
import { tenancyContract } from './store.contract.tenancy';
import { creditsContract } from './store.contract.credits';
import { searchContract } from './store.contract.search';
import { campaignsContract } from './store.contract.campaigns';
import { contactsContract } from './store.contract.contacts';
import { sheetsContract } from './store.contract.sheets';
import { webhooksContract } from './store.contract.webhooks';
import { rulesContract } from './store.contract.rules';
import { groupCommitContract } from './store.contract.group-commit';
import { sleep, type StoreRef } from './store.contract.helpers';


/**
 * One fresh, connected store per test. `teardown` (default: close) also removes what the test
 * stored, e.g. drops a MongoDB database.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => Promise<Store>,
  teardown: (store: Store) => Promise<void> = (s) => s.close(),
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const s: StoreRef = () => store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await teardown(store);
    });

    describe('connection', () => {
      it('pings while connected', async () => {
        await expect(s().ping()).resolves.toBe(true);
      });
      it('rejects with StoreUnavailableError once closed', async () => {
        const other = await makeStore();
        await teardown(other);
        await expect(other.ping()).resolves.toBe(false);
        await expect(other.programs.get('default', 'p')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(other.programs.get('default', 'p')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      });
    });

    catalogContract(s);
    dispatchContract(s);
    messagesContract(s);
    messageLookupsContract(s);
    logsContract(s);
    providerControlContract(s);
    idempotencyContract(s);
    usageContract(s);
    tenancyContract(s);
    creditsContract(s);
    searchContract(s);
    campaignsContract(s);
    contactsContract(s);
    sheetsContract(s);
    webhooksContract(s);
    rulesContract(s);
    groupCommitContract(s);
  });
}

function catalogContract(s: StoreRef): void {
  describe('programs', () => {
    it('creates and reads back the plain record, optional fields absent, Dates as Dates', async () => {
      const created = await s().programs.create('default', { id: 'p1', name: 'Vaccination' });
      const got = await s().programs.get('default', 'p1');
      expect(got).toEqual({ workspaceId: 'default', id: 'p1', name: 'Vaccination', createdAt: expect.any(Date), updatedAt: expect.any(Date) });
      expect(got).toEqual(created);
      expect(Object.keys(got!).sort()).toEqual(['createdAt', 'id', 'name', 'updatedAt', 'workspaceId']);
      expect(await s().programs.get('default', 'nope')).toBeNull();
    });

    it('refuses a duplicate id with ConflictError', async () => {
      await s().programs.create('default', { id: 'p1', name: 'A' });
      await expect(s().programs.create('default', { id: 'p1', name: 'B' })).rejects.toBeInstanceOf(ConflictError);
      await expect(s().programs.create('default', { id: 'p1', name: 'B' })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await s().programs.get('default', 'p1'))!.name).toBe('A');
    });

    it('patches, removes a field given as undefined, and stamps updatedAt', async () => {
      const p = await s().programs.create('default', { id: 'p1', name: 'A', description: 'first' });
      await sleep(5);
      const u = await s().programs.update('default', 'p1', { name: 'B' });
      expect(u).toMatchObject({ id: 'p1', name: 'B', description: 'first' });
      expect(u!.updatedAt.getTime()).toBeGreaterThan(p.updatedAt.getTime());
      expect(u!.createdAt).toEqual(p.createdAt);
      const removed = await s().programs.update('default', 'p1', { description: undefined });
      expect(removed).not.toHaveProperty('description');
      expect(await s().programs.get('default', 'p1')).not.toHaveProperty('description');
      expect(await s().programs.update('default', 'missing', { name: 'x' })).toBeNull();
    });

    it('pages by id with total, limit and offset', async () => {
      for (const id of ['p3', 'p1', 'p5', 'p2', 'p4']) await s().programs.create('default', { id, name: id });
      const page = await s().programs.list('default', { limit: 2, offset: 2 });
      expect(page.items.map((p) => p.id)).toEqual(['p3', 'p4']);
      expect(page).toMatchObject({ total: 5, limit: 2, offset: 2 });
      const tail = await s().programs.list('default', { limit: 10, offset: 4 });
      expect(tail.items.map((p) => p.id)).toEqual(['p5']);
      expect((await s().programs.list('default', { limit: 10, offset: 10 })).items).toEqual([]);
    });

    it('deletes with its event types and subscriptions, leaving other programs alone', async () => {
      for (const id of ['p1', 'p2']) {
        await s().programs.create('default', { id, name: id });
        await s().eventTypes.create('default', { programId: id, id: 'e1', name: 'E', templates: {} });
        await s().subscriptions.create('default', { id: `${id}-s`, userId: 'u1', programId: id, eventTypeId: 'e1', channels: ['sms'] });
        await s().subscriptions.create('default', { id: `${id}-w`, userId: 'u2', programId: id, channels: ['email'] });
      }
      expect(await s().programs.delete('default', 'p1')).toBe(true);
      expect(await s().programs.get('default', 'p1')).toBeNull();
      expect(await s().eventTypes.get('default', 'p1', 'e1')).toBeNull();
      expect((await s().subscriptions.list('default', { programId: 'p1' }, { limit: 10, offset: 0 })).total).toBe(0);
      expect(await s().eventTypes.get('default', 'p2', 'e1')).not.toBeNull();
      expect((await s().subscriptions.list('default', { programId: 'p2' }, { limit: 10, offset: 0 })).total).toBe(2);
      expect(await s().programs.delete('default', 'p1')).toBe(false);
    });
  });

  describe('event types', () => {
    const templates = { sms: { text: 'Hi {{name}}' }, email: { subject: 'S', text: 'T', html: '<p>T</p>' } };

    it('creates, reads, patches templates and removes a description', async () => {
      const e = await s().eventTypes.create('default', { programId: 'p1', id: 'e1', name: 'Outage', description: 'd', templates });
      expect(e).toEqual({ workspaceId: 'default', programId: 'p1', id: 'e1', name: 'Outage', description: 'd', templates, createdAt: expect.any(Date), updatedAt: expect.any(Date) });
      expect(await s().eventTypes.get('default', 'p1', 'e1')).toEqual(e);
      expect(await s().eventTypes.get('default', 'p2', 'e1')).toBeNull();
      const u = await s().eventTypes.update('default', 'p1', 'e1', { templates: { sms: { text: 'new' } }, description: undefined });
      expect(u).toMatchObject({ templates: { sms: { text: 'new' } } });
      expect(u).not.toHaveProperty('description');
      expect(u!.templates).not.toHaveProperty('email');
      expect(await s().eventTypes.update('default', 'p1', 'nope', { name: 'x' })).toBeNull();
    });

    it('keeps ids unique within a program only', async () => {
      await s().eventTypes.create('default', { programId: 'p1', id: 'e1', name: 'A', templates: {} });
      await expect(s().eventTypes.create('default', { programId: 'p1', id: 'e1', name: 'B', templates: {} })).rejects.toBeInstanceOf(ConflictError);
      await expect(s().eventTypes.create('default', { programId: 'p2', id: 'e1', name: 'C', templates: {} })).resolves.toMatchObject({ programId: 'p2' });
      expect((await s().eventTypes.get('default', 'p1', 'e1'))!.templates).toEqual({});
    });

    it('lists one program, paged by id', async () => {
      for (const id of ['c', 'a', 'b']) await s().eventTypes.create('default', { programId: 'p1', id, name: id, templates: {} });
      await s().eventTypes.create('default', { programId: 'p2', id: 'z', name: 'z', templates: {} });
      const page = await s().eventTypes.list('default', 'p1', { limit: 2, offset: 1 });
      expect(page.items.map((e) => e.id)).toEqual(['b', 'c']);
      expect(page).toMatchObject({ total: 3, limit: 2, offset: 1 });
    });

    it('deletes an event type with its direct subscriptions, not the program-wide ones', async () => {
      await s().eventTypes.create('default', { programId: 'p1', id: 'e1', name: 'A', templates: {} });
      await s().subscriptions.create('default', { id: 's1', userId: 'u1', programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
      await s().subscriptions.create('default', { id: 's2', userId: 'u1', programId: 'p1', channels: ['sms'] });
      expect(await s().eventTypes.delete('default', 'p1', 'e1')).toBe(true);
      expect(await s().eventTypes.delete('default', 'p1', 'e1')).toBe(false);
      expect(await s().subscriptions.get('default', 's1')).toBeNull();
      expect(await s().subscriptions.get('default', 's2')).not.toBeNull();
    });
  });

  describe('users', () => {
    it('creates, patches away an email, pages, and refuses duplicates', async () => {
      const u = await s().users.create('default', { id: 'u1', name: 'Ann', phone: '+254700000001', email: 'ann@example.org', timezone: 'Africa/Nairobi' });
      expect(u).toEqual({
        workspaceId: 'default', id: 'u1', name: 'Ann', phone: '+254700000001', email: 'ann@example.org', timezone: 'Africa/Nairobi',
        createdAt: expect.any(Date), updatedAt: expect.any(Date),
      });
      await expect(s().users.create('default', { id: 'u1', name: 'X' })).rejects.toBeInstanceOf(ConflictError);
      const p = await s().users.update('default', 'u1', { email: undefined, locale: 'sw' });
      expect(p).not.toHaveProperty('email');
      expect(p).toMatchObject({ locale: 'sw', phone: '+254700000001' });
      await s().users.create('default', { id: 'u0', name: 'Bo' });
      await s().users.create('default', { id: 'u2', name: 'Cy' });
      const page = await s().users.list('default', { limit: 2, offset: 0 });
      expect(page.items.map((x) => x.id)).toEqual(['u0', 'u1']);
      expect(page.total).toBe(3);
    });

    it('deletes a user with their subscriptions only', async () => {
      await s().users.create('default', { id: 'u1', name: 'Ann' });
      await s().users.create('default', { id: 'u2', name: 'Bo' });
      await s().subscriptions.create('default', { id: 's1', userId: 'u1', programId: 'p1', channels: ['sms'] });
      await s().subscriptions.create('default', { id: 's2', userId: 'u2', programId: 'p1', channels: ['sms'] });
      expect(await s().users.delete('default', 'u1')).toBe(true);
      expect(await s().users.get('default', 'u1')).toBeNull();
      expect(await s().subscriptions.get('default', 's1')).toBeNull();
      expect(await s().subscriptions.get('default', 's2')).not.toBeNull();
      expect(await s().users.delete('default', 'u1')).toBe(false);
    });
  });

  describe('subscriptions', () => {
    it('creates, reads, updates channels, lists by filter and deletes', async () => {
      const a = await s().subscriptions.create('default', { id: 's1', userId: 'u1', programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
      expect(a).toEqual({ workspaceId: 'default', id: 's1', userId: 'u1', programId: 'p1', eventTypeId: 'e1', channels: ['sms'], createdAt: expect.any(Date), updatedAt: expect.any(Date) });
      const wide = await s().subscriptions.create('default', { id: 's2', userId: 'u1', programId: 'p1', channels: ['email'] });
      expect(wide).not.toHaveProperty('eventTypeId');
      await s().subscriptions.create('default', { id: 's3', userId: 'u2', programId: 'p1', eventTypeId: 'e1', channels: ['sms', 'email'] });
      await s().subscriptions.create('default', { id: 's4', userId: 'u1', programId: 'p2', eventTypeId: 'e1', channels: ['sms'] });
      expect(await s().subscriptions.update('default', 's1', { channels: ['sms', 'email'] })).toMatchObject({ channels: ['sms', 'email'] });
      expect(await s().subscriptions.update('default', 'nope', { channels: ['sms'] })).toBeNull();
      const byUser = await s().subscriptions.list('default', { userId: 'u1' }, { limit: 2, offset: 0 });
      expect(byUser.items.map((x) => x.id)).toEqual(['s1', 's2']);
      expect(byUser.total).toBe(3);
      const byEvent = await s().subscriptions.list('default', { programId: 'p1', eventTypeId: 'e1' }, { limit: 10, offset: 0 });
      expect(byEvent.items.map((x) => x.id)).toEqual(['s1', 's3']);
      expect(await s().subscriptions.delete('default', 's1')).toBe(true);
      expect(await s().subscriptions.delete('default', 's1')).toBe(false);
      expect(await s().subscriptions.get('default', 's1')).toBeNull();
    });

    it('allows one subscription per user, program and event type (or the whole program)', async () => {
      await s().subscriptions.create('default', { id: 's1', userId: 'u1', programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
      await s().subscriptions.create('default', { id: 's2', userId: 'u1', programId: 'p1', channels: ['sms'] });
      await expect(
        s().subscriptions.create('default', { id: 's3', userId: 'u1', programId: 'p1', eventTypeId: 'e1', channels: ['email'] }),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(s().subscriptions.create('default', { id: 's4', userId: 'u1', programId: 'p1', channels: ['email'] })).rejects.toBeInstanceOf(ConflictError);
      await expect(
        s().subscriptions.create('default', { id: 's1', userId: 'u9', programId: 'p9', channels: ['email'] }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await s().subscriptions.list('default', { userId: 'u1' }, { limit: 10, offset: 0 })).total).toBe(2);
    });
  });
}
