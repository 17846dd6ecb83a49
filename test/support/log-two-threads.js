// Run by test/unit/log-threads.test.ts as a child whose stdout is a pipe: the main thread and a worker
// thread each log LINES lines through Herald's logger at once (the main thread in big batches, as a
// fan-out does), then the worker logs a last burst, flushes its lines and ends, as a sender thread does when stopped.
require('tsx/cjs');
const { Worker, isMainThread } = require('node:worker_threads');
const { createLogger, flushStdout } = require('../../src/log/logger.ts');

const LINES = 20_000;
const TAIL = 2_000;
const pad = 'x'.repeat(200);
if (isMainThread) {
  const logger = createLogger('log-test', { format: 'json' });
  const worker = new Worker(__filename, { stdout: false });
  let i = 0;
  const t = setInterval(() => {
    for (let k = 0; k < 100 && i < LINES; k++) logger.info('main line', { i: i++, pad });
    if (i >= LINES) clearInterval(t);
  }, 1);
  worker.once('exit', () => setTimeout(() => process.exit(0), 50));
} else {
  const logger = createLogger('log-test', { format: 'json', thread: 'sender-1' });
  let i = 0;
  const t = setInterval(() => {
    for (let k = 0; k < 15 && i < LINES; k++) logger.info('thread line', { i: i++, pad });
    if (i >= LINES) {
      clearInterval(t);
      // A last burst, as a stopping thread logs its drain: still on its way when the thread ends.
      for (let k = 0; k < TAIL; k++) logger.info('thread line', { i: i++, pad });
      void flushStdout().then(() => process.exit(0));
    }
  }, 1);
}
