// What loading the composition root costs a thread: `herald all`'s sender threads start through
// src/runtime/index.ts and never serve HTTP, and an embedded process never talks to MongoDB or
// RabbitMQ. Each of those libraries is live heap in every thread that loads it (which V8 sizes its
// heap at a few times): they are required only where they run (runtime/serve.ts, runtime/parts.ts).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const HEAVY = ['express', 'swagger-ui-express', 'mongoose', 'mongodb', 'amqplib', 'undici', 'csv-parse'];

/** The packages of HEAVY in require.cache after `code` ran in a fresh Node.js (TypeScript through tsx). */
function loadedAfter(code: string): string[] {
  const script = `require('tsx/cjs'); (async () => { ${code} })().then(() => {
    const loaded = Object.keys(require.cache).map((f) => (/[\\\\/]node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(f) || [])[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(loaded)]));
    process.exit(0);
  });`;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return (JSON.parse(out) as string[]).filter((p) => HEAVY.includes(p)).sort();
}

describe('modules a thread loads', () => {
  it('the composition root alone (a sender thread) loads no HTTP layer and no MongoDB or RabbitMQ client', () => {
    expect(loadedAfter(`require('./src/runtime/index.ts');`)).toEqual([]);
  }, 60_000);

  it('an embedded store and queue load no MongoDB or RabbitMQ client', () => {
    const loaded = loadedAfter(`
      const { openStore, openBus } = require('./src/runtime/parts.ts');
      const { loadConfig } = require('./src/config/index.ts');
      const dir = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'lazy-modules-'));
      const logger = { info() {}, warn() {}, error() {}, debug() {} };
      const config = loadConfig({}, { dataDir: dir });
      const store = await openStore(config, logger);
      const bus = await openBus(config, logger);
      await bus.close();
      await store.close();
      require('node:fs').rmSync(dir, { recursive: true, force: true });`);
    expect(loaded).toEqual([]);
  }, 60_000);
});
