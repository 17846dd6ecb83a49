// The embedded SQLite queue against the bus contract, plus what only it promises.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedBus } from '../../src/bus/embedded';
import type { Bus, Delivery } from '../../src/bus/bus';
import Database from 'better-sqlite3';
import type { Logger } from '../../src/log/logger';
import { shareThreadLocks } from '../../src/store/sqlite/thread-lock';
import { failure, leaveWal, openDescriptors } from '../support/open-files';
import { describeBusContract, sleep, waitFor } from './bus.contract';

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

describe('embedded bus: close while queue writes are under way', () => {
  /** A logger that keeps what the bus logs at warn and error. */
  function recordingLogger(): { logger: Logger; lines: string[] } {
    const lines: string[] = [];
    const keep = (level: string) => (msg: string, meta?: { error?: string }) => {
      lines.push(`${level}: ${msg}${meta?.error ? `: ${meta.error}` : ''}`);
    };
    const logger = { warn: keep('warn'), error: keep('error'), info: () => undefined, debug: () => undefined } as unknown as Logger;
    return { logger, lines };
  }

  /** Holds every fsync of this process (the queue's WAL flush) until `open()`: a commit stays "being flushed". */
  async function holdFsyncs(): Promise<{ open: () => void; restore: () => void }> {
    const probe = await fsp.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
    await probe.close();
    const original = proto.sync;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    proto.sync = async function (this: unknown) {
      await gate;
      return original.call(this);
    };
    return { open, restore: () => void (proto.sync = original) };
  }

  /** Jobs whose lease still runs (nobody else may claim them before it ends). */
  const leased = (db: Database.Database) => (db.prepare('SELECT COUNT(*) AS n FROM bus_jobs WHERE lease_until > ?').get(Date.now()) as { n: number }).n;

  test('a close that lands while a claim is being flushed leaves no job leased: a new consumer gets them at once', async () => {
    const { logger, lines } = recordingLogger();
    const first = createEmbeddedBus({ file, pollMs: 5, logger });
    for (let i = 0; i < 8; i++) await first.publish('sms', { i });
    const observer = new Database(file, { readonly: true });
    const fsyncs = await holdFsyncs();
    let handled = 0;
    try {
      await first.consume('sms', async () => (handled++, { action: 'ack' }), { prefetch: 8 });
      // The claim is committed (its rows leased) and its flush is still under way when close lands.
      await waitFor(() => leased(observer) === 8, 5000, 'the claim committed');
      const closed = first.close();
      fsyncs.open();
      await closed;
    } finally {
      fsyncs.restore();
    }
    expect(handled).toBe(0);
    expect(leased(observer)).toBe(0);
    observer.close();

    // Not after visibilityMs (60 s by default): at once.
    const second = createEmbeddedBus({ file, pollMs: 5 });
    const got: Delivery[] = [];
    await second.consume('sms', async (d) => (got.push(d), { action: 'ack' }), { prefetch: 8 });
    try {
      await waitFor(() => got.length === 8, 5000, 'the 8 jobs delivered again');
    } finally {
      await second.close();
    }
    expect(got.map((d) => (d.body as { i: number }).i).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(lines).toEqual([]);
  });

  test('a clean shutdown logs no error, even with a lease renewal waiting for the write lock of another thread', async () => {
    // As in `herald all`: the sender threads share the file's write lock; here "another thread" is this test.
    const word = new Int32Array(Object.values(shareThreadLocks([file]))[0]);
    const { logger, lines } = recordingLogger();
    const bus = createEmbeddedBus({ file, pollMs: 5, visibilityMs: 30, logger });
    let started = false;
    let finish!: () => void;
    const finishing = new Promise<void>((r) => (finish = r));
    await bus.consume('sms', async () => ((started = true), await finishing, { action: 'ack' }), { prefetch: 1 });
    await bus.publish('sms', { n: 1 });
    await waitFor(() => started, 5000, 'handler start');
    const observer = new Database(file, { readonly: true });
    const fsyncs = await holdFsyncs();
    try {
      finish();
      // The ack is committed, its flush held: the job stays held and its lease renewals queue up behind it.
      await waitFor(() => (observer.prepare('SELECT COUNT(*) AS n FROM bus_jobs').get() as { n: number }).n === 0, 5000, 'the ack committed');
      await sleep(60);
      Atomics.store(word, 0, 1_000_000);
      const closed = bus.close();
      fsyncs.open();
      // The other thread keeps the lock a while, then gives it back.
      await Promise.race([closed, sleep(200)]);
      Atomics.store(word, 0, 0);
      Atomics.notify(word, 0);
      await closed;
    } finally {
      fsyncs.restore();
      Atomics.store(word, 0, 0);
      Atomics.notify(word, 0);
      observer.close();
    }
    await sleep(100);
    expect(lines).toEqual([]);
  });
});
