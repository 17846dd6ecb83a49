// The embedded SQLite queue against the bus contract, plus what only it promises.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedBus } from '../../src/bus/embedded';
import type { Bus, Delivery } from '../../src/bus/bus';
import Database from 'better-sqlite3';
import { failure, leaveWal, openDescriptors } from '../support/open-files';
import { describeBusContract, waitFor } from './bus.contract';

const CRASHING_CONSUMER = `
const { createEmbeddedBus } = require(${JSON.stringify(path.resolve(__dirname, '../../src/bus/embedded'))});
const bus = createEmbeddedBus({ file: process.argv[1], visibilityMs: 500 });
bus.consume('dispatch', (d) => { console.log('got ' + d.body.notificationId); return new Promise(() => {}); }, { prefetch: 1 })
  .then(() => console.log('consuming'));
`;

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
    // A real crash: a child process takes the job, never finishes it, and is killed with SIGKILL.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', CRASHING_CONSUMER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const publisher = createEmbeddedBus({ file });
    buses.push(publisher);
    await waitFor(() => out.includes('consuming'), 15_000, 'child ready');
    await publisher.publish('dispatch', { notificationId: 'n-crash' });
    await waitFor(() => out.includes('got n-crash'), 5000, 'child took the job');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const got: Delivery[] = [];
    await publisher.consume('dispatch', async (d) => (got.push(d), { action: 'ack' }), { prefetch: 1 });
    await waitFor(() => got.length === 1, 5000, 'redelivery after lease expiry');
    expect(got[0].redelivered).toBe(true);
    expect(got[0].body).toEqual({ notificationId: 'n-crash' });
  }, 30_000);

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

  test('a file it cannot use fails every connect with the same error and is left with no connection open', async () => {
    // Start-up retries connect() (connectWithRetry): no failed attempt may leave its connection open.
    const other = new Database(file);
    other.exec('CREATE TABLE bus_jobs (id INTEGER PRIMARY KEY, payload TEXT)');
    other.close();
    for (let attempt = 0; attempt < 3; attempt++) {
      const bus = createEmbeddedBus({ file });
      buses.push(bus);
      expect(await failure(bus.connect())).toEqual(['BUS_UNAVAILABLE', expect.stringContaining(`cannot open the embedded queue ${file}: no such column: queue`)]);
    }
    expect(openDescriptors(file)).toBe(0);
    expect(leaveWal(file)).toBe('delete');
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
