// The embedded SQLite queue against the bus contract, plus what only it promises.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedBus } from '../../src/bus/embedded';
import type { Bus, Delivery } from '../../src/bus/bus';
import { describeBusContract, waitFor } from './bus.contract';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bus-'));
let file = '';
let n = 0;

beforeEach(() => {
  file = path.join(dir, `queue-${++n}.db`);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeBusContract('embedded', async () => createEmbeddedBus({ file, drainTimeoutMs: 1000 }));

describe('embedded bus', () => {
  const buses: Bus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  test('a job whose process died mid-handler is delivered again once its lease expires', async () => {
    const crashed = createEmbeddedBus({ file, visibilityMs: 300, drainTimeoutMs: 60_000 });
    buses.push(crashed);
    const first: Delivery[] = [];
    await crashed.consume('dispatch', (d) => (first.push(d), new Promise(() => undefined)), { prefetch: 1 });
    await crashed.publish('dispatch', { notificationId: 'n-crash' });
    await waitFor(() => first.length === 1);
    // Simulate the crash: the file is left as it is, nothing is released or renewed.
    const survivor = createEmbeddedBus({ file, visibilityMs: 300 });
    buses.push(survivor);
    const got: Delivery[] = [];
    await survivor.consume('dispatch', async (d) => (got.push(d), { action: 'ack' }), { prefetch: 1 });
    // The crashed bus keeps renewing while alive; stop it without waiting for its handler.
    void crashed.close();
    await waitFor(() => got.length === 1, 5000, 'redelivery after lease expiry');
    expect(got[0].redelivered).toBe(true);
    expect(got[0].body).toEqual({ notificationId: 'n-crash' });
  });

  test('two buses on one file share the work, each job handled once', async () => {
    const a = createEmbeddedBus({ file });
    const b = createEmbeddedBus({ file });
    buses.push(a, b);
    const seen: number[] = [];
    const by = { a: 0, b: 0 };
    const handler = (who: 'a' | 'b') => async (d: Delivery) => {
      seen.push((d.body as { i: number }).i);
      by[who]++;
      await new Promise((r) => setTimeout(r, 5));
      return { action: 'ack' } as const;
    };
    await a.consume('sms', handler('a'), { prefetch: 4 });
    await b.consume('sms', handler('b'), { prefetch: 4 });
    for (let i = 0; i < 100; i++) await (i % 2 ? a : b).publish('sms', { i });
    await waitFor(() => seen.length >= 100, 10_000, '100 handled');
    await new Promise((r) => setTimeout(r, 200));
    expect([...seen].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(by.a).toBeGreaterThan(0);
    expect(by.b).toBeGreaterThan(0);
  });

  test('published jobs survive a restart: a new bus on the file consumes them', async () => {
    const before = createEmbeddedBus({ file });
    await before.publish('email', { messageId: 'persisted' });
    await before.close();
    const after = createEmbeddedBus({ file });
    buses.push(after);
    expect(await after.depth('email')).toBe(1);
    const got: unknown[] = [];
    await after.consume('email', async (d) => (got.push(d.body), { action: 'ack' }), { prefetch: 1 });
    await waitFor(() => got.length === 1);
    expect(got).toEqual([{ messageId: 'persisted' }]);
  });
});
