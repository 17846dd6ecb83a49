// `herald all` on a terminal: its sender threads' lines are readable lines like the main thread's
// (log.format auto), not JSON in the middle of them. The terminal is a pseudo-terminal from script(1).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../support/processes';
import { eventually, tempDir } from '../support/herald';
import { embeddedEnv, ROOT } from './herald-child';

jest.setTimeout(60_000);

const hasScript = spawnSync('script', ['--version']).status === 0;

(hasScript ? describe : describe.skip)('herald all with sender threads on a terminal', () => {
  it("writes the sender thread's lines in the readable format too", async () => {
    const port = await freePort();
    const env = { ...embeddedEnv(tempDir('herald-threads-tty-'), { DISPATCH_PORT: String(port), HERALD_SENDER_THREADS: '1' }), TERM: 'dumb', NO_COLOR: '1' };
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'bin', 'herald.js'))} all`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await eventually('both threads started', () => / herald started /.test(out) && /sender thread started/.test(out), 30_000);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
    const lines = out.split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(out).toMatch(/herald-all\/sender-1 sender thread started/);
  });
});
