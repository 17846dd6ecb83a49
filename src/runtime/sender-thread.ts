// Entry of one of `herald all`'s sender threads (sender-threads.ts starts it): the sms and email
// workers on this thread's own store and queue connections; answers metrics requests, and on `stop`
// finishes its sends in flight, closes and ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { FromThread, SenderThreadData, ToThread } from './sender-threads';
import { adoptCheckpointedElsewhere } from '../store/sqlite/checkpoint';
import { adoptThreadLocks } from '../store/sqlite/thread-lock';
import { flushStdout } from '../log/logger';
import { startHerald } from './index';

const data = workerData as SenderThreadData;
adoptThreadLocks(data.locks);
adoptCheckpointedElsewhere(data.checkpointed);
const port = parentPort!;
const post = (m: FromThread): void => port.postMessage(m);

startHerald({ role: 'senders', config: data.config, processName: data.processName, thread: data.thread, silent: data.silent }).then(
  (herald) => {
    let stopping: Promise<void> | undefined;
    port.on('message', (m: ToThread) => {
      if (m.type === 'metrics') {
        void herald.metrics.getMetricsAsJSON().then((metrics) => post({ type: 'metrics', id: m.id, metrics }), () => undefined);
      } else if (m.type === 'stop') {
        // Its last log lines reach the main thread's stdout before the thread ends.
        const exit = (code: number) => void flushStdout().then(() => process.exit(code));
        stopping ??= herald.stop().then(
          () => exit(0),
          (e: Error) => {
            herald.logger.error('sender thread: stop failed', { error: e.message });
            exit(1);
          },
        );
      }
    });
    post({ type: 'ready' });
  },
  (e: Error) => {
    post({ type: 'failed', error: e.message });
    // The main thread answers with stop once it has the reason.
    port.on('message', (m: ToThread) => m.type === 'stop' && process.exit(1));
  },
);
