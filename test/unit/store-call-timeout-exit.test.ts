// A store call bound must not hold a stopping process open: only the hung call itself may.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

test('a process whose only pending work is a bounded call that never settles exits at once', () => {
  const script = `
    const { withinStoreTimeout } = require('./src/store/call-timeout');
    withinStoreTimeout(new Promise(() => undefined), 60_000, 'probe').catch(() => undefined);
  `;
  const out = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, timeout: 30_000 });
  // Without unref the 60 s timer kept it alive until spawnSync killed it at 30 s (status null).
  expect(out.status).toBe(0);
});
