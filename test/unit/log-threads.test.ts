// Log lines of `herald all`'s threads on one stdout (a pipe, as under Docker or `| jq`): every line
// whole (never cut by another thread's), none lost when a sender thread ends.
import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);

it('keeps every line of the main thread and a worker thread whole on a pipe, and loses none when the thread ends', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'support', 'log-two-threads.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  // A slow reader at first: the pipe fills up, as behind a busy log shipper.
  child.stdout.pause();
  await new Promise((r) => setTimeout(r, 1000));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stdout.resume();
  await new Promise((r) => child.once('close', r));
  const lines = out.split('\n').filter((l) => l !== '');
  const broken = lines.filter((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  expect(broken.slice(0, 3)).toEqual([]);
  const parsed = lines.map((l) => JSON.parse(l) as { message: string });
  expect(parsed.filter((l) => l.message === 'main line')).toHaveLength(20_000);
  expect(parsed.filter((l) => l.message === 'thread line')).toHaveLength(22_000);
});
