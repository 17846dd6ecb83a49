// A closed-loop HTTP load: `concurrency` keep-alive connections, each posting its next request
// as soon as the last one is answered; the latency of every request is kept.
import fs from 'node:fs';
import http from 'node:http';

/** BENCH_LATENCY_DUMP=<file>: one line per request appended: target, index, start (ms after the first), latency ms, reused socket. */
const dumpFile = process.env.BENCH_LATENCY_DUMP;

export interface LoadResult {
  requests: number;
  perS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by HTTP status ('error' for no answer). */
  statuses: Record<string, number>;
  /** Parsed bodies of the 2xx answers. */
  bodies: unknown[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function post(agent: http.Agent, url: URL, body: string): Promise<{ status: number; text: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req: http.ClientRequest = http.request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), reused: req.reusedSocket }));
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The client's keep-alive connections, to share between a warm-up and the timed run that follows it. */
export const keepAliveAgent = (concurrency: number): http.Agent => new http.Agent({ keepAlive: true, maxSockets: concurrency });

/** `agent`: connections opened before (by a warm-up) and left open afterwards; by default new ones, closed at the end. */
export async function postMany(target: string, n: number, concurrency: number, body: (i: number) => object, shared?: http.Agent): Promise<LoadResult> {
  const agent = shared ?? keepAliveAgent(concurrency);
  const url = new URL(target);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const bodies: unknown[] = [];
  let next = 0;
  const t0 = process.hrtime.bigint();
  const loop = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const start = process.hrtime.bigint();
      let key: string;
      try {
        const r = await post(agent, url, JSON.stringify(body(i)));
        key = String(r.status);
        if (dumpFile) {
          const ms = (ns: bigint) => (Number(ns) / 1e6).toFixed(1);
          fs.appendFileSync(dumpFile, `${target} ${i} ${ms(start - t0)} ${ms(process.hrtime.bigint() - start)} ${r.reused}\n`);
        }
        if (r.status >= 200 && r.status < 300) bodies.push(r.text ? JSON.parse(r.text) : undefined);
      } catch (e) {
        key = `error: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      }
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!shared) agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: n,
    perS: n / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    statuses,
    bodies,
  };
}
