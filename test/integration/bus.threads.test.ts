// The embedded queue across the threads of one process (`herald all`'s sender threads): a publish on
// one thread reaches a consumer on another at once, not at its next poll (here an hour away), and a
// broadcast reaches the other thread's subscribers.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createEmbeddedBus } from '../../src/bus/embedded';
import { tempDir } from '../support/herald';

jest.setTimeout(60_000);

const HOUR = 3_600_000;

const THREAD = `
require('tsx/cjs');
const { parentPort, workerData } = require('node:worker_threads');
const { createEmbeddedBus } = require(${JSON.stringify(path.resolve(__dirname, '../../src/bus/embedded'))});
(async () => {
  const bus = createEmbeddedBus({ file: workerData.file, pollMs: ${HOUR}, threads: true });
  await bus.connect();
  await bus.subscribe('catalog', (body) => parentPort.postMessage({ broadcast: body }));
  await bus.consume('sms', async (d) => (parentPort.postMessage({ job: d.body }), { action: 'ack' }), { prefetch: 1 });
  parentPort.postMessage({ ready: true });
  parentPort.on('message', async () => {
    await bus.close();
    process.exit(0);
  });
})();
`;

test('a publish wakes the consumer of another thread, and broadcasts cross threads', async () => {
  const file = path.join(tempDir('herald-bus-threads-'), 'queue.db');
  const bus = createEmbeddedBus({ file, pollMs: HOUR, threads: true });
  await bus.connect();
  const worker = new Worker(THREAD, { eval: true, workerData: { file } });
  const seen: unknown[] = [];
  const waitFor = (pred: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const on = (m: Record<string, unknown>) => {
        if (!pred(m)) return;
        worker.off('message', on);
        resolve(m);
      };
      worker.on('message', on);
      worker.once('error', reject);
    });
  worker.on('message', (m) => seen.push(m));
  try {
    await waitFor((m) => m.ready === true);
    const job = waitFor((m) => 'job' in m);
    await bus.publish('sms', { messageIds: ['m1'] });
    expect((await job).job).toEqual({ messageIds: ['m1'] });
    const broadcast = waitFor((m) => 'broadcast' in m);
    await bus.broadcast('catalog', { changed: 'programs' });
    expect((await broadcast).broadcast).toEqual({ changed: 'programs' });
  } finally {
    worker.postMessage('stop');
    await new Promise((r) => worker.once('exit', r));
    await bus.close();
  }
  expect(seen.filter((m) => 'job' in (m as object))).toHaveLength(1);
});
