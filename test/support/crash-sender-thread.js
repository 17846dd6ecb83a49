// Preloaded (NODE_OPTIONS=--require) into a `herald all` child by test/integration/sender-threads.test.ts:
// its sender thread throws an uncaught error once started, as a bug in a provider could.
const { isMainThread } = require('node:worker_threads');
if (!isMainThread) setTimeout(() => { throw new Error('sender thread crash (test)'); }, 1500).unref();
