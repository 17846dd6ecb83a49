// Server CPU per request of Herald's HTTP layer alone against bare express (bench/bare-server.ts): Herald's
// app (access gate, rate limit, body, validation, the 202 answer) on an in-memory SQLite store with the
// tests' fake notification service, which stores nothing. Each in a child process (tsx), 50 in flight on
// keep-alive connections, 3,000 requests of warm-up, then N counted from /proc; three alternated rounds.
// What is left of Herald's accept path beyond this is the service, the store and the fan-out.
//   npx tsx bench/http-layer.ts [requests=5000]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { cpuSeconds } from './cpu';
import { keepAliveAgent, postMany } from './load';

async function child(): Promise<void> {
  // Required (the child runs under tsx's CommonJS hook).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { makeApp } = require('../test/integration/http.support') as typeof import('../test/integration/http.support');
  const t = await makeApp({});
  const server = t.app.listen(Number(process.argv[3]), '127.0.0.1', () => process.stdout.write('listening\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

async function measure(args: string[], port: number, n: number): Promise<number> {
  const c = spawn(process.execPath, ['--require', 'tsx/cjs', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => c.stdout!.on('data', (d) => /listening/.test(String(d)) && r()));
  const url = `http://127.0.0.1:${port}/v1/notifications`;
  const body = (i: number) => ({ programId: 'p', eventTypeId: 'e', startTime: new Date().toISOString(), data: { seq: i } });
  const agent = keepAliveAgent(50);
  await postMany(url, 3000, 50, body, agent);
  const a = cpuSeconds(c.pid!);
  const r = await postMany(url, n, 50, body, agent);
  const us = ((cpuSeconds(c.pid!) - a) * 1e6) / n;
  agent.destroy();
  c.kill('SIGTERM');
  if ((r.statuses['202'] ?? 0) !== n) throw new Error(JSON.stringify(r.statuses));
  return us;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'child') return child();
  const n = Number(process.argv[2] ?? 5000);
  for (let i = 0; i < 3; i++) {
    const bare = await measure([path.join(__dirname, 'bare-server.ts'), '39801'], 39801, n);
    const herald = await measure([__filename, 'child', '39802'], 39802, n);
    console.log(`bare ${bare.toFixed(0)} µs, herald http (fake service) ${herald.toFixed(0)} µs a request`);
  }
  process.exit(0);
}
void main();
