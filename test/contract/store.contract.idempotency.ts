// Store contract: Idempotency-Key claims (unique per scope and key, token compare-and-set) and newest log lines.
import { ConflictError } from '../../src/domain/errors';
import type { LogLine } from '../../src/domain/types';
import type { NewIdempotencyRecord } from '../../src/store/store';
import { sleep, type StoreRef } from './store.contract.helpers';

const FUTURE = new Date('2099-01-01T00:00:00.000Z');

function claim(over: Partial<NewIdempotencyRecord> = {}): NewIdempotencyRecord {
  return { scope: 'client-a', key: 'k1', token: 't1', bodyHash: 'h1', state: 'in-progress', notificationId: 'n1', expiresAt: FUTURE, ...over };
}

export function idempotencyContract(s: StoreRef): void {
  describe('idempotency keys', () => {
    it('claims once per (scope, key): a second claim is a ConflictError, another scope is free', async () => {
      const first = await s().idempotencyKeys.claim(claim());
      expect(first).toEqual({ ...claim(), createdAt: expect.any(Date), updatedAt: expect.any(Date) });
      await expect(s().idempotencyKeys.claim(claim({ token: 't2', bodyHash: 'h2' }))).rejects.toBeInstanceOf(ConflictError);
      await s().idempotencyKeys.claim(claim({ scope: 'client-b', token: 't3' }));
      await s().idempotencyKeys.claim(claim({ key: 'k2', token: 't4' }));
      expect(await s().idempotencyKeys.get('client-a', 'k1')).toEqual(first);
      expect((await s().idempotencyKeys.get('client-b', 'k1'))!.token).toBe('t3');
      expect(await s().idempotencyKeys.get('client-c', 'k1')).toBeNull();
    });

    it('lets exactly one of many concurrent claims win', async () => {
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => s().idempotencyKeys.claim(claim({ token: `t${i}` }))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) expect(r.reason).toBeInstanceOf(ConflictError);
    });

    it('completes only with the claim token, and only from in-progress', async () => {
      await s().idempotencyKeys.claim(claim());
      expect(await s().idempotencyKeys.complete('client-a', 'k1', 'other')).toBeNull();
      await sleep(5);
      const done = await s().idempotencyKeys.complete('client-a', 'k1', 't1');
      expect(done).toMatchObject({ state: 'done', notificationId: 'n1', bodyHash: 'h1' });
      expect(done!.updatedAt.getTime()).toBeGreaterThan(done!.createdAt.getTime());
      expect(await s().idempotencyKeys.complete('client-a', 'k1', 't1')).toBeNull();
      expect((await s().idempotencyKeys.get('client-a', 'k1'))!.state).toBe('done');
    });

    it('replaces (takes over) only while the record still holds the expected token', async () => {
      await s().idempotencyKeys.claim(claim());
      const next = claim({ token: 't2', bodyHash: 'h2', notificationId: 'n2' });
      const taken = await s().idempotencyKeys.replace('client-a', 'k1', 't1', next);
      expect(taken).toMatchObject({ scope: 'client-a', key: 'k1', token: 't2', bodyHash: 'h2', notificationId: 'n2', state: 'in-progress' });
      expect(await s().idempotencyKeys.replace('client-a', 'k1', 't1', claim({ token: 't3' }))).toBeNull();
      expect((await s().idempotencyKeys.get('client-a', 'k1'))!.token).toBe('t2');
      expect(await s().idempotencyKeys.replace('client-a', 'missing', 't1', claim({ key: 'missing' }))).toBeNull();
    });

    it('releases with the token only, freeing the key for a new claim', async () => {
      await s().idempotencyKeys.claim(claim());
      expect(await s().idempotencyKeys.release('client-a', 'k1', 'other')).toBe(false);
      expect(await s().idempotencyKeys.release('client-a', 'k1', 't1')).toBe(true);
      expect(await s().idempotencyKeys.get('client-a', 'k1')).toBeNull();
      await s().idempotencyKeys.claim(claim({ token: 't9' }));
      expect((await s().idempotencyKeys.get('client-a', 'k1'))!.token).toBe('t9');
    });

    it('prunes records that expired before now, keeping the rest', async () => {
      const now = new Date('2030-06-01T00:00:00.000Z');
      await s().idempotencyKeys.claim(claim({ key: 'old', expiresAt: new Date(now.getTime() - 1) }));
      await s().idempotencyKeys.claim(claim({ key: 'older', state: 'done', expiresAt: new Date('2020-01-01T00:00:00Z') }));
      await s().idempotencyKeys.claim(claim({ key: 'fresh', expiresAt: new Date(now.getTime() + 1000) }));
      expect(await s().idempotencyKeys.pruneExpired(now)).toBe(2);
      expect(await s().idempotencyKeys.get('client-a', 'old')).toBeNull();
      expect(await s().idempotencyKeys.get('client-a', 'fresh')).not.toBeNull();
      expect(await s().idempotencyKeys.pruneExpired(now)).toBe(0);
    });
  });

  describe('logs, newest', () => {
    const line = (message: string, over: Partial<LogLine> = {}): LogLine => ({
      time: new Date('2030-01-01T08:00:00.000Z'), level: 'info', process: 'dispatcher', message, ...over,
    });

    it('returns the newest `limit` lines, still oldest first, with filters applied', async () => {
      await s().logs.append(['1', '2', '3', '4', '5'].map((m) => line(m, { notificationId: Number(m) % 2 ? 'odd' : 'even' })));
      const msgs = async (q: Parameters<ReturnType<StoreRef>['logs']['query']>[0]) => (await s().logs.query(q)).map((l) => l.message);
      expect(await msgs({ limit: 2, newest: true })).toEqual(['4', '5']);
      expect(await msgs({ limit: 2 })).toEqual(['1', '2']);
      expect(await msgs({ limit: 10, newest: true })).toEqual(['1', '2', '3', '4', '5']);
      expect(await msgs({ notificationId: 'odd', limit: 2, newest: true })).toEqual(['3', '5']);
    });

    it('keeps lines up to `until` and those whose message contains `grep`, literally and ignoring case', async () => {
      const at = (iso: string) => new Date(`2030-01-01T${iso}Z`);
      await s().logs.append([
        line('Provider refused 50% (a.b)', { time: at('08:00:00.000') }),
        line('provider refused again', { time: at('09:00:00.000') }),
        line('sent', { time: at('10:00:00.000') }),
        line('provider refused AXB', { time: at('11:00:00.000') }),
      ]);
      const msgs = async (q: Parameters<ReturnType<StoreRef>['logs']['query']>[0]) => (await s().logs.query(q)).map((l) => l.message);
      expect(await msgs({ until: at('09:00:00.000'), limit: 10 })).toEqual(['Provider refused 50% (a.b)', 'provider refused again']);
      expect(await msgs({ grep: 'PROVIDER refused', since: at('08:30:00.000'), until: at('10:30:00.000'), limit: 10 })).toEqual(['provider refused again']);
      expect(await msgs({ grep: '50% (a.b)', limit: 10 })).toEqual(['Provider refused 50% (a.b)']);
      expect(await msgs({ grep: 'a.b', limit: 10 })).toEqual(['Provider refused 50% (a.b)']);
      expect(await msgs({ grep: '_', limit: 10 })).toEqual([]);
    });
  });
}
