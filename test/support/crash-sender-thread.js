// Preloaded (NODE_OPTIONS=--require) into a `herald all` child by test/integration/sender-threads.test.ts:
// its sender thread throws an uncaught error once it has told the main thread it is running (as a bug
// in a provider could); timed from that message, not from the thread's start, so a slow start-up on a
// busy machine never turns it into a start-up failure.
const wt = require('node:worker_threads');
if (!wt.isMainThread && wt.parentPort) {
  const port = wt.parentPort;
  const post = port.postMessage.bind(port);
  port.postMessage = (message, ...rest) => {
    post(message, ...rest);
    if (message && message.type === 'ready') setTimeout(() => { throw new Error('sender thread crash (test)'); }, 300).unref();
  };
}
