// Store contract: the log (append with increasing seq, concurrent appends, filters).
import type { LogLine } from '../../src/domain/types';
import type { StoreRef } from './store.contract.helpers';

export function logsContract(s: StoreRef): void {
  describe('logs', () => {
    const line = (message: string, over: Partial<LogLine> = {}): LogLine => ({
      time: new Date('2030-01-01T08:00:00.000Z'),
      level: 'info',
      process: 'dispatcher',
      message,
      ...over,
    });

    it('appends with increasing seq and reads oldest first with Dates and meta intact', async () => {
      await s().logs.append([line('one', { meta: { a: 1, nested: { b: [1, 2] } } }), line('two')]);
      await s().logs.append([]);
      await s().logs.append([line('three', { seq: 999 })]);
      const got = await s().logs.query({ limit: 10 });
      expect(got.map((l) => l.message)).toEqual(['one', 'two', 'three']);
      const seqs = got.map((l) => l.seq!);
      expect(seqs.every((n) => Number.isInteger(n))).toBe(true);
      expect(seqs[1]).toBeGreaterThan(seqs[0]);
      expect(seqs[2]).toBeGreaterThan(seqs[1]);
      expect(got[0]).toEqual({ seq: seqs[0], ...line('one', { meta: { a: 1, nested: { b: [1, 2] } } }) });
      expect(got[1]).not.toHaveProperty('meta');
      expect(got[1]).not.toHaveProperty('notificationId');
      expect(got[0].time).toBeInstanceOf(Date);
      expect((await s().logs.query({ afterSeq: seqs[0], limit: 10 })).map((l) => l.message)).toEqual(['two', 'three']);
      expect((await s().logs.query({ limit: 2 })).map((l) => l.message)).toEqual(['one', 'two']);
    });

    it('gives concurrent appends distinct seq numbers', async () => {
      await Promise.all([0, 1, 2, 3, 4].map((b) => s().logs.append([0, 1, 2].map((i) => line(`${b}.${i}`, { meta: { b, i } })))));
      const got = await s().logs.query({ limit: 100 });
      expect(got).toHaveLength(15);
      expect(new Set(got.map((l) => l.seq)).size).toBe(15);
      expect(got.map((l) => l.seq!)).toEqual([...got.map((l) => l.seq!)].sort((a, b) => a - b));
      // Lines of one append keep their order.
      for (let b = 0; b < 5; b++) {
        expect(got.filter((l) => l.message.startsWith(`${b}.`)).map((l) => l.message)).toEqual([`${b}.0`, `${b}.1`, `${b}.2`]);
      }
    });

    it('filters by notification, message, process, minimum level and time', async () => {
      await s().logs.append([
        line('e', { level: 'error', notificationId: 'n1', time: new Date('2030-01-01T08:00:00Z') }),
        line('w', { level: 'warn', notificationId: 'n1', messageId: 'm1', time: new Date('2030-01-01T08:01:00Z') }),
        line('i', { level: 'info', notificationId: 'n2', messageId: 'm1', process: 'sms-worker', time: new Date('2030-01-01T08:02:00Z') }),
        line('d', { level: 'debug', notificationId: 'n1', time: new Date('2030-01-01T08:03:00Z') }),
      ]);
      const msgs = async (q: Parameters<ReturnType<StoreRef>['logs']['query']>[0]) => (await s().logs.query(q)).map((l) => l.message);
      expect(await msgs({ notificationId: 'n1', limit: 10 })).toEqual(['e', 'w', 'd']);
      expect(await msgs({ messageId: 'm1', limit: 10 })).toEqual(['w', 'i']);
      expect(await msgs({ process: 'sms-worker', limit: 10 })).toEqual(['i']);
      expect(await msgs({ level: 'error', limit: 10 })).toEqual(['e']);
      expect(await msgs({ level: 'warn', limit: 10 })).toEqual(['e', 'w']);
      expect(await msgs({ level: 'info', limit: 10 })).toEqual(['e', 'w', 'i']);
      expect(await msgs({ level: 'debug', limit: 10 })).toEqual(['e', 'w', 'i', 'd']);
      expect(await msgs({ since: new Date('2030-01-01T08:01:30Z'), limit: 10 })).toEqual(['i', 'd']);
      expect(await msgs({ notificationId: 'n1', level: 'warn', since: new Date('2030-01-01T08:00:30Z'), limit: 10 })).toEqual(['w']);
      expect(await msgs({ level: 'debug', limit: 1 })).toEqual(['e']);
    });
  });
}
