// CPU per provider call of the HTTP client: Herald's httpCall (undici's dispatcher, a handler of its own) against Node's
// global fetch with AbortSignal.timeout (what httpCall used before), on a local server answering
// 200 at once, 20 calls in flight. Run: npx tsx bench/http-client.ts   (a diagnostic)
import { spawn } from 'node:child_process';
import { httpCall } from '../src/providers/http-call';

const CALLS = 20_000;
const IN_FLIGHT = 20;
const SERVER = `const s=require('node:http').createServer((q,r)=>{q.resume();q.on('end',()=>{r.writeHead(200,{'Content-Type':'application/json'});r.end('{"id":"gw-1"}')})});s.keepAliveTimeout=60000;s.listen(0,'127.0.0.1',()=>console.log(s.address().port))`;
const body = JSON.stringify({ to: '+15005550006', text: 'hello there', messageId: 'm-123456', part: '0' });
const headers = { Accept: 'application/json', 'Content-Type': 'application/json' };

async function run(call: () => Promise<number>, n: number): Promise<void> {
  let left = n;
  const lane = async (): Promise<void> => {
    while (left-- > 0) if ((await call()) !== 200) throw new Error('gateway did not answer 200');
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

async function main(): Promise<void> {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const url = `http://127.0.0.1:${port}/send`;
  const clients: Record<string, () => Promise<number>> = {
    'fetch + AbortSignal.timeout': async () => {
      const r = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
      await r.text();
      return r.status;
    },
    'httpCall (undici request)': async () => (await httpCall('bench', { method: 'POST', url, headers, body, timeoutMs: 10_000 })).status,
  };
  try {
    for (const call of Object.values(clients)) await run(call, 2_000); // warm-up
    for (let round = 1; round <= 2; round++) {
      for (const [name, call] of Object.entries(clients)) {
        const cpu0 = process.cpuUsage();
        const t0 = Date.now();
        await run(call, CALLS);
        const cpu = process.cpuUsage(cpu0);
        console.log(`round ${round}  ${name.padEnd(28)} ${((cpu.user + cpu.system) / CALLS).toFixed(1)} µs CPU per call, ${Math.round(CALLS / ((Date.now() - t0) / 1000))} calls/s`);
      }
    }
  } finally {
    server.kill();
  }
}

void main().then(() => process.exit(0), (e: unknown) => (console.error(e), process.exit(1)));
