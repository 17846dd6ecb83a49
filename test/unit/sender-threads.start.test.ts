// herald all's sender threads when start-up fails: the threads already started are stopped, never
// left running (a process whose start-up failed would keep them, an in-process test would leak them).
import { Worker } from 'node:worker_threads';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { SenderThreadPool, startSenderThreads } from '../../src/runtime/sender-threads';

/** A stand-in thread: says ready (or failed) after `delayMs`, ends on stop. */
const stub = (answer: 'ready' | 'failed', delayMs = 0) =>
  new Worker(
    `const { parentPort } = require('node:worker_threads');
     setTimeout(() => {
       parentPort.postMessage(${JSON.stringify(answer === 'ready' ? { type: 'ready' } : { type: 'failed', error: 'queue unreachable' })});
       parentPort.on('message', (m) => m.type === 'stop' && process.exit(0));
     }, ${delayMs});`,
    { eval: true },
  );

const config = loadConfig({ HERALD_SENDER_THREADS: '2' });
const logger = createLogger('test', { silent: true });
const base = { config, locks: {}, processName: 'herald-all', silent: true, logger, onDeath: () => undefined };
/** Whether the thread has ended (its threadId then reads -1). */
const ended = (w: Worker) => w.threadId === -1;

describe('sender threads start-up', () => {
  it('a Worker that cannot be made stops the threads made before it', async () => {
    const made: Worker[] = [];
    const refused = new Error('ERR_WORKER_INIT_FAILED');
    const spawn = (_: unknown, __: string, i: number) => {
      if (i === 3) throw refused;
      const w = stub('ready');
      made.push(w);
      return w;
    };
    await expect(startSenderThreads({ ...base, count: 3, spawn })).rejects.toBe(refused);
    expect(made).toHaveLength(2);
    expect(made.every(ended)).toBe(true);
  });

  it('a thread that fails its start-up fails it with a coded error, and the other thread is stopped', async () => {
    const made: Worker[] = [];
    const spawn = (_: unknown, __: string, i: number) => {
      const w = i === 2 ? stub('failed') : stub('ready', 50);
      made.push(w);
      return w;
    };
    await expect(startSenderThreads({ ...base, count: 2, spawn })).rejects.toMatchObject({
      name: 'SenderThreadError',
      code: 'SENDER_THREAD_FAILED',
      message: 'herald-all/sender-2: queue unreachable',
    });
    expect(made.every(ended)).toBe(true);
  });

  it('the pool stopped while its threads start (this thread failed first) stops them once they have started', async () => {
    const made: Worker[] = [];
    const pool = new SenderThreadPool(config, 'all', ['/tmp/herald-sender-threads-start.db']);
    expect(pool.count).toBe(2);
    pool.start({ ...base, spawn: () => (made.push(stub('ready', 200)), made[made.length - 1]) });
    await pool.stop();
    expect(made).toHaveLength(2);
    expect(made.every(ended)).toBe(true);
  });
});
