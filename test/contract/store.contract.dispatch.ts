// Store contract, fan-out side: subscribers by keyset, notifications and their transitions.
import { ConflictError, StoreUnavailableError } from '../../src/domain/errors';
import type { Channel, Subscriber } from '../../src/domain/types';
import type { NewNotification, Store } from '../../src/store/store';
import { sleep, type StoreRef } from './store.contract.helpers';

const pad = (i: number) => `u${String(i).padStart(5, '0')}`;

async function addUser(store: Store, id: string): Promise<void> {
  await store.users.create('default', { id, name: id, phone: '+254700000000', email: `${id}@example.org` });
}

export function notification(id: string, over: Partial<NewNotification> = {}): NewNotification {
  return {
    id,
    workspaceId: 'default',
    programId: 'p1',
    eventTypeId: 'e1',
    startTime: new Date('2030-01-01T08:00:00.000Z'),
    endTime: new Date('2030-01-01T09:00:00.000Z'),
    validUntil: new Date('2030-01-01T09:00:00.000Z'),
    data: { name: 'Ann', nested: { n: 1, list: [1, 'two'] } },
    status: 'accepted',
    source: 'api',
    dispatch: { messages: 0 },
    ...over,
  };
}

export function dispatchContract(s: StoreRef): void {
  describe('subscribersAfter', () => {
    it('merges direct and program-wide subscriptions into one entry per user, ordered by user id', async () => {
      for (const id of ['u1', 'u2', 'u3', 'u4', 'u5']) await addUser(s(), id);
      const sub = (id: string, userId: string, channels: Channel[], eventTypeId?: string, programId = 'p1') =>
        s().subscriptions.create('default', { id, userId, programId, eventTypeId, channels });
      await sub('a', 'u3', ['email'], 'e1');
      await sub('b', 'u3', ['sms'], undefined);
      await sub('c', 'u1', ['sms'], undefined);
      await sub('d', 'u2', ['sms'], 'e2'); // other event type
      await sub('e', 'u4', ['email'], 'e1', 'p2'); // other program
      await sub('f', 'u5', ['email', 'sms'], 'e1');
      await sub('g', 'ghost', ['sms'], 'e1'); // user does not exist
      const got = await s().subscriptions.subscribersAfter('default', 'p1', 'e1', undefined, 10);
      expect(got.map((x) => [x.user.id, x.channels])).toEqual([
        ['u1', ['sms']],
        ['u3', ['sms', 'email']],
        ['u5', ['sms', 'email']],
      ]);
      expect(got[0].user).toMatchObject({ id: 'u1', email: 'u1@example.org', createdAt: expect.any(Date) });
      expect((await s().subscriptions.subscribersAfter('default', 'p1', 'e1', 'u3', 10)).map((x) => x.user.id)).toEqual(['u5']);
      expect(await s().subscriptions.subscribersAfter('default', 'p1', 'e1', 'u5', 10)).toEqual([]);
      expect(await s().subscriptions.subscribersAfter('default', 'p1', 'nothing', undefined, 10)).toEqual([
        expect.objectContaining({ user: expect.objectContaining({ id: 'u1' }), channels: ['sms'] }),
        expect.objectContaining({ user: expect.objectContaining({ id: 'u3' }), channels: ['sms'] }),
      ]);
    });

    it('never splits a user whose subscriptions straddle the batch limit', async () => {
      for (const id of ['a', 'b', 'c']) {
        await addUser(s(), id);
        await s().subscriptions.create('default', { id: `${id}-d`, userId: id, programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
        await s().subscriptions.create('default', { id: `${id}-w`, userId: id, programId: 'p1', channels: ['email'] });
      }
      const seen: Array<[string, Channel[]]> = [];
      let after: string | undefined;
      for (;;) {
        const batch = await s().subscriptions.subscribersAfter('default', 'p1', 'e1', after, 1);
        if (batch.length === 0) break;
        expect(batch).toHaveLength(1);
        seen.push([batch[0].user.id, batch[0].channels]);
        after = batch[0].user.id;
      }
      expect(seen).toEqual([['a', ['sms', 'email']], ['b', ['sms', 'email']], ['c', ['sms', 'email']]]);
    });

    it('walks 1,050 subscribers in batches of 100, each exactly once, skipping deleted users', async () => {
      const expected: string[] = [];
      const jobs: Array<() => Promise<unknown>> = [];
      // 1,100 users: 50 subscribed to another event type only; of the 1,050 others a third are
      // direct (sms), a third program-wide (email), a third both.
      const kindOf = (i: number) => (i % 22 === 21 ? 'other' : (['direct', 'wide', 'both'] as const)[i % 3]);
      for (let i = 0; i < 1100; i++) {
        const id = pad(i);
        const kind = kindOf(i);
        if (kind !== 'other') expected.push(id);
        jobs.push(async () => {
          await addUser(s(), id);
          if (kind === 'direct' || kind === 'both') {
            await s().subscriptions.create('default', { id: `d${i}`, userId: id, programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
          }
          if (kind === 'wide' || kind === 'both') await s().subscriptions.create('default', { id: `w${i}`, userId: id, programId: 'p1', channels: ['email'] });
          if (kind === 'other') await s().subscriptions.create('default', { id: `o${i}`, userId: id, programId: 'p1', eventTypeId: 'e2', channels: ['sms'] });
        });
      }
      for (let i = 0; i < jobs.length; i += 50) await Promise.all(jobs.slice(i, i + 50).map((j) => j()));
      // A subscription whose user is gone is skipped without ending the walk early.
      await s().subscriptions.create('default', { id: 'ghost', userId: `${pad(500)}x`, programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });

      const seen: string[] = [];
      let after: string | undefined;
      let batches = 0;
      for (;;) {
        const batch = await s().subscriptions.subscribersAfter('default', 'p1', 'e1', after, 100);
        if (batch.length === 0) break;
        batches++;
        expect(batch.length).toBeLessThanOrEqual(100);
        for (const sub of batch) {
          const kind = kindOf(Number(sub.user.id.slice(1)));
          expect(sub.channels).toEqual(kind === 'direct' ? ['sms'] : kind === 'wide' ? ['email'] : ['sms', 'email']);
        }
        seen.push(...batch.map((b) => b.user.id));
        after = batch[batch.length - 1].user.id;
      }
      expect(expected).toHaveLength(1050);
      expect(seen).toEqual(expected);
      expect(new Set(seen).size).toBe(expected.length);
      expect(batches).toBe(Math.ceil(expected.length / 100));
    });
  });

  describe('subscriberBatches', () => {
    const walk = async (programId: string, eventTypeId: string, after: string | undefined, size: number) => {
      const batches: Subscriber[][] = [];
      for await (const b of s().subscriptions.subscriberBatches('default', programId, eventTypeId, after, size)) batches.push(b);
      return batches;
    };
    const paged = async (programId: string, eventTypeId: string, after: string | undefined, size: number) => {
      const batches: Subscriber[][] = [];
      for (let b = await s().subscriptions.subscribersAfter('default', programId, eventTypeId, after, size); b.length > 0; ) {
        batches.push(b);
        b = await s().subscriptions.subscribersAfter('default', programId, eventTypeId, b[b.length - 1].user.id, size);
      }
      return batches;
    };
    const ids = (batches: Subscriber[][]) => batches.map((b) => b.map((x) => x.user.id));

    it('yields each user once, in user id order, with the channels of both scopes, from the start or after a cursor', async () => {
      for (const id of ['u1', 'u2', 'u3', 'u4', 'u5']) await addUser(s(), id);
      const sub = (id: string, userId: string, channels: Channel[], eventTypeId?: string, programId = 'p1') =>
        s().subscriptions.create('default', { id, userId, programId, eventTypeId, channels });
      await sub('a', 'u3', ['email'], 'e1');
      await sub('b', 'u3', ['sms', 'email'], undefined);
      await sub('c', 'u1', ['sms'], undefined);
      await sub('d', 'u2', ['sms'], 'e2'); // other event type
      await sub('e', 'u4', ['email'], 'e1', 'p2'); // other program
      await sub('f', 'u5', ['email', 'sms'], 'e1');
      await sub('g', 'ghost', ['sms'], 'e1'); // user does not exist
      const all = await walk('p1', 'e1', undefined, 10);
      expect(all.map((b) => b.map((x) => [x.user.id, x.channels]))).toEqual([[['u1', ['sms']], ['u3', ['sms', 'email']], ['u5', ['sms', 'email']]]]);
      expect(all[0][0].user).toMatchObject({ id: 'u1', email: 'u1@example.org', createdAt: expect.any(Date) });
      expect(all).toEqual(await paged('p1', 'e1', undefined, 10));
      expect(ids(await walk('p1', 'e1', 'u1', 10))).toEqual([['u3', 'u5']]);
      expect(ids(await walk('p1', 'e1', 'u3', 1))).toEqual([['u5']]);
      expect(await walk('p1', 'e1', 'u5', 10)).toEqual([]);
      expect(await walk('p1', 'nothing', undefined, 10)).toEqual(await paged('p1', 'nothing', undefined, 10));
      expect(await walk('p9', 'e1', undefined, 10)).toEqual([]);
    });

    it('cuts batches smaller than the population exactly where repeated subscribersAfter calls do', async () => {
      // 60 users: direct, program-wide, both (channels merged), none; every 7th subscription's user is missing.
      for (let i = 0; i < 60; i++) {
        const id = pad(i);
        if (i % 7 !== 3) await addUser(s(), id);
        if (i % 4 === 0 || i % 4 === 2) await s().subscriptions.create('default', { id: `d${i}`, userId: id, programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
        if (i % 4 === 1 || i % 4 === 2) await s().subscriptions.create('default', { id: `w${i}`, userId: id, programId: 'p1', channels: ['email'] });
      }
      const expected = await paged('p1', 'e1', undefined, 8);
      expect(expected.flat()).toHaveLength(39);
      const batches = await walk('p1', 'e1', undefined, 8);
      expect(batches).toEqual(expected);
      expect(batches.slice(0, -1).every((b) => b.length === 8)).toBe(true);
      expect(new Set(batches.flat().map((x) => x.user.id)).size).toBe(39);
      expect(batches.flat().find((x) => x.user.id === pad(2))!.channels).toEqual(['sms', 'email']);
      expect(await walk('p1', 'e1', pad(29), 5)).toEqual(await paged('p1', 'e1', pad(29), 5));
    });

    it('yields a batch of many users whole (a store may read them in several lists)', async () => {
      for (let i = 0; i < 250; i++) {
        await addUser(s(), pad(i));
        await s().subscriptions.create('default', { id: `d${i}`, userId: pad(i), programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
      }
      const [batch, ...rest] = await walk('p1', 'e1', undefined, 250);
      expect(rest).toEqual([]);
      expect(batch.map((x) => x.user.id)).toEqual(Array.from({ length: 250 }, (_, i) => pad(i)));
    });

    it('stops when the consumer stops, and a stopped walk yields nothing more', async () => {
      for (let i = 0; i < 30; i++) {
        await addUser(s(), pad(i));
        await s().subscriptions.create('default', { id: `d${i}`, userId: pad(i), programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
        await s().subscriptions.create('default', { id: `w${i}`, userId: pad(i), programId: 'p1', channels: ['email'] });
      }
      const seen: string[] = [];
      for await (const b of s().subscriptions.subscriberBatches('default', 'p1', 'e1', undefined, 4)) {
        seen.push(...b.map((x) => x.user.id));
        if (seen.length >= 8) break;
      }
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(pad));
      const it = s().subscriptions.subscriberBatches('default', 'p1', 'e1', undefined, 4)[Symbol.asyncIterator]();
      expect(ids([(await it.next()).value as Subscriber[]])).toEqual([[0, 1, 2, 3].map(pad)]);
      await it.return!();
      expect(await it.next()).toEqual({ done: true, value: undefined });
      // Many abandoned walks leave the store working (their cursors are released).
      for (let i = 0; i < 20; i++) {
        const w = s().subscriptions.subscriberBatches('default', 'p1', 'e1', undefined, 2)[Symbol.asyncIterator]();
        await w.next();
        await w.return!();
      }
      expect((await walk('p1', 'e1', undefined, 7)).flat()).toHaveLength(30);
    });

    it('fails with StoreUnavailableError, rather than ending early, when the store closes mid-walk', async () => {
      for (let i = 0; i < 12; i++) {
        await addUser(s(), pad(i));
        await s().subscriptions.create('default', { id: `d${i}`, userId: pad(i), programId: 'p1', eventTypeId: 'e1', channels: ['sms'] });
        await s().subscriptions.create('default', { id: `w${i}`, userId: pad(i), programId: 'p1', channels: ['email'] });
      }
      const it = s().subscriptions.subscriberBatches('default', 'p1', 'e1', undefined, 2)[Symbol.asyncIterator]();
      expect((await it.next()).value).toHaveLength(2);
      await s().close();
      await expect(it.next()).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });

  describe('notifications', () => {
    it('creates and reads back Dates, data and dispatch; optional fields absent', async () => {
      const created = await s().notifications.create(notification('n1', { endTime: undefined, warnings: ['re-anchored'] }));
      const got = await s().notifications.get('n1');
      expect(got).toEqual(created);
      expect(got).not.toHaveProperty('endTime');
      expect(got).not.toHaveProperty('idempotencyKey');
      expect(got!.startTime).toEqual(new Date('2030-01-01T08:00:00.000Z'));
      expect(got!.validUntil).toBeInstanceOf(Date);
      expect(got!.data).toEqual({ name: 'Ann', nested: { n: 1, list: [1, 'two'] } });
      expect(got!.dispatch).toEqual({ messages: 0 });
      expect(got!.warnings).toEqual(['re-anchored']);
      expect(got).not.toHaveProperty('requestedWindow');
      await expect(s().notifications.create(notification('n1'))).rejects.toBeInstanceOf(ConflictError);
      expect(await s().notifications.get('zz')).toBeNull();
    });

    it('keeps the window asked for beside a re-anchored one, with its Dates', async () => {
      const requestedWindow = { startTime: new Date('2019-08-27T18:04:00Z'), endTime: new Date('2019-08-27T19:04:00Z') };
      await s().notifications.create(notification('ra', { endTime: undefined, requestedWindow }));
      expect((await s().notifications.get('ra'))!.requestedWindow).toEqual(requestedWindow);
      await s().notifications.create(notification('ro', { endTime: undefined, requestedWindow: { startTime: requestedWindow.startTime } }));
      expect((await s().notifications.get('ro'))!.requestedWindow).toEqual({ startTime: requestedWindow.startTime });
    });

    it('transitions by compare-and-set: of two concurrent transitions from one status, one wins', async () => {
      await s().notifications.create(notification('n1'));
      const startedAt = new Date('2030-01-01T08:00:01.000Z');
      const results = await Promise.all([
        s().notifications.transition('n1', ['accepted'], 'dispatching', { dispatch: { messages: 0, startedAt } }),
        s().notifications.transition('n1', ['accepted'], 'cancelled'),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      const winner = results.find((r) => r !== null)!;
      expect((await s().notifications.get('n1'))!.status).toBe(winner.status);
      expect(await s().notifications.transition('n1', ['accepted'], 'expired')).toBeNull();
      expect(await s().notifications.transition('missing', ['accepted'], 'expired')).toBeNull();
      const next = await s().notifications.transition('n1', ['dispatching', 'cancelled'], 'expired');
      expect(next).toMatchObject({ status: 'expired' });
    });

    it('reads several by id, and transitions several at once, each by its own compare-and-set', async () => {
      for (const id of ['a', 'b', 'c']) await s().notifications.create(notification(id));
      expect((await s().notifications.getMany(['c', 'a', 'missing'])).map((n) => n.id).sort()).toEqual(['a', 'c']);
      expect(await s().notifications.getMany([])).toEqual([]);
      // A long list repeating its ids (a store may split it into several reads): each notification once.
      expect((await s().notifications.getMany(Array.from({ length: 201 }, (_, i) => ['a', 'b', 'c'][i % 3]))).map((n) => n.id).sort()).toEqual(['a', 'b', 'c']);
      await s().notifications.transition('b', ['accepted'], 'cancelled');
      const [a, b, c] = await s().notifications.getMany(['a', 'b', 'c']).then((ns) => ['a', 'b', 'c'].map((id) => ns.find((n) => n.id === id)!));
      const finishedAt = new Date('2030-01-01T08:00:02.000Z');
      const dispatch = { cursor: 'u9', messages: 5, startedAt: new Date('2030-01-01T08:00:01.000Z'), finishedAt };
      const change = (n: typeof a, expected?: typeof a) =>
        ({ id: n.id, from: ['accepted' as const], to: 'dispatched' as const, patch: { dispatch, endTime: undefined }, ...(expected ? { expected } : {}) });
      // With and without the caller's copies: the same answers.
      for (const copies of [true, false]) {
        if (!copies) {
          await s().notifications.create(notification('a2'));
          await s().notifications.create(notification('c2'));
        }
        const [x, z] = copies ? [a, c] : await Promise.all(['a2', 'c2'].map(async (id) => (await s().notifications.get(id))!));
        const after = await s().notifications.transitionEach([change(x, copies ? x : undefined), change(b, copies ? b : undefined), change(z)]);
        expect(after[1]).toBeNull();
        for (const [i, n] of [[0, x], [2, z]] as const) {
          expect(after[i]).toMatchObject({ id: n.id, status: 'dispatched', dispatch, workspaceId: 'default' });
          expect(after[i]).not.toHaveProperty('endTime');
          const stored = (await s().notifications.get(n.id))!;
          expect(stored).toMatchObject({ status: 'dispatched', dispatch });
          expect(stored).not.toHaveProperty('endTime');
          expect(Object.keys(stored).sort()).toEqual(Object.keys(after[i]!).sort());
        }
      }
      expect((await s().notifications.get('b'))!.status).toBe('cancelled');
      // Already moved: the compare-and-set fails now.
      expect(await s().notifications.transitionEach([change(a)])).toEqual([null]);
      expect(await s().notifications.transitionEach([])).toEqual([]);
    });

    it('patches the dispatch cursor and removes the end of a window', async () => {
      await s().notifications.create(notification('n1'));
      const finishedAt = new Date('2030-01-01T08:30:00.000Z');
      const u = await s().notifications.update('n1', { dispatch: { cursor: 'u00100', messages: 200, finishedAt }, endTime: undefined });
      expect(u!.dispatch).toEqual({ cursor: 'u00100', messages: 200, finishedAt });
      expect(u).not.toHaveProperty('endTime');
      expect(await s().notifications.get('n1')).toEqual(u);
      expect(await s().notifications.update('missing', { status: 'expired' })).toBeNull();
    });

    it('finds by status with startBefore and updatedBefore, oldest update first', async () => {
      await s().notifications.create(notification('late', { status: 'scheduled', startTime: new Date('2030-06-01T00:00:00Z') }));
      await sleep(3);
      await s().notifications.create(notification('early', { status: 'scheduled', startTime: new Date('2030-01-01T00:00:00Z') }));
      await sleep(3);
      await s().notifications.create(notification('acc', { status: 'accepted' }));
      await s().notifications.create(notification('done', { status: 'dispatched' }));
      const cut = new Date(Date.now() + 1);
      await sleep(5);
      await s().notifications.create(notification('fresh', { status: 'accepted' }));

      const due = await s().notifications.findByStatus(['scheduled'], { startBefore: new Date('2030-03-01T00:00:00Z'), limit: 10 });
      expect(due.map((n) => n.id)).toEqual(['early']);
      const stale = await s().notifications.findByStatus(['scheduled', 'accepted'], { updatedBefore: cut, limit: 10 });
      expect(stale.map((n) => n.id)).toEqual(['late', 'early', 'acc']);
      expect((await s().notifications.findByStatus(['scheduled', 'accepted'], { limit: 2 })).map((n) => n.id)).toEqual(['late', 'early']);
    });

    it('finds only the notifications whose window closed by validBefore, however many are still open', async () => {
      for (let i = 0; i < 5; i++) await s().notifications.create(notification(`open${i}`, { status: 'accepted', validUntil: new Date('2031-01-01T00:00:00Z') }));
      await s().notifications.create(notification('closed', { status: 'scheduled', validUntil: new Date('2030-01-01T00:00:00Z') }));
      const expired = await s().notifications.findByStatus(['scheduled', 'accepted'], { validBefore: new Date('2030-06-01T00:00:00Z'), limit: 2 });
      expect(expired.map((n) => n.id)).toEqual(['closed']);
    });

    it('lists newest first, filtered by program and status, paged', async () => {
      for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
        await s().notifications.create(notification(id, { programId: i === 3 ? 'p2' : 'p1', status: i === 0 ? 'dispatched' : 'accepted' }));
        await sleep(3);
      }
      const page = await s().notifications.list({ workspaceId: 'default', programId: 'p1' }, { limit: 2, offset: 0 });
      expect(page.items.map((n) => n.id)).toEqual(['c', 'b']);
      expect(page).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect((await s().notifications.list({ workspaceId: 'default', programId: 'p1', status: 'dispatched' }, { limit: 5, offset: 0 })).items.map((n) => n.id)).toEqual(['a']);
      expect((await s().notifications.list({ workspaceId: 'default' }, { limit: 5, offset: 3 })).items.map((n) => n.id)).toEqual(['a']);
    });
  });
}
