// worker.senderThreads: how many sender threads `herald all` runs, from the setting and the CPUs.
import { loadConfig } from '../../src/config';
import { senderThreadCount } from '../../src/runtime/sender-threads';

describe('sender threads setting', () => {
  it('auto: none on one CPU, one on two or three, two from four; only herald all has any', () => {
    const config = loadConfig({});
    expect(config.worker.senderThreads).toBe('auto');
    expect([1, 2, 3, 4, 16].map((cpus) => senderThreadCount(config, 'all', cpus))).toEqual([0, 1, 1, 2, 2]);
    for (const role of ['server', 'sms', 'email', 'sheets', 'senders']) expect(senderThreadCount(config, role, 8)).toBe(0);
  });

  it('takes a number from HERALD_SENDER_THREADS (0: one event loop) and refuses anything else', () => {
    expect(senderThreadCount(loadConfig({ HERALD_SENDER_THREADS: '0' }), 'all', 8)).toBe(0);
    expect(senderThreadCount(loadConfig({ HERALD_SENDER_THREADS: '3' }), 'all', 2)).toBe(3);
    expect(loadConfig({ HERALD_SENDER_THREADS: 'auto' }).worker.senderThreads).toBe('auto');
    expect(() => loadConfig({ HERALD_SENDER_THREADS: 'two' })).toThrow(/worker\.senderThreads \(HERALD_SENDER_THREADS\) must be auto or a whole number from 0 to 8/);
    expect(() => loadConfig({ HERALD_SENDER_THREADS: '9' })).toThrow(/HERALD_SENDER_THREADS/);
  });
});
