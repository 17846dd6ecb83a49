// Reads a BENCH_LATENCY_DUMP file (bench/load.ts) and splits each target's latencies: all requests,
// the first request on each new connection, and requests on connections already open.
// Run: npx tsx bench/latency-split.ts <file> [--warm-up 100]
import fs from 'node:fs';
import { percentile } from './load';

const [file] = process.argv.slice(2);
const warmAt = process.argv.indexOf('--warm-up');
const warmUp = warmAt >= 0 ? Number(process.argv[warmAt + 1]) : 100;
if (!file) throw new Error('usage: npx tsx bench/latency-split.ts <dump file> [--warm-up 100]');

type Row = { target: string; i: number; ms: number; reused: boolean };
// Runs in file order: a new run starts where the index falls back to 0.
const runs: Row[][] = [];
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
  const [target, i, , ms, reused] = line.split(' ');
  if (!target) continue;
  const row = { target, i: Number(i), ms: Number(ms), reused: reused === 'true' };
  const last = runs[runs.length - 1];
  if (!last || last[0].target !== target || (row.i === 0 && last.length > 0 && last.some((r) => r.i === 0))) runs.push([row]);
  else last.push(row);
}
const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  return s.length ? `p50 ${percentile(s, 50).toFixed(1)} p99 ${percentile(s, 99).toFixed(1)} max ${s[s.length - 1].toFixed(1)} ms (${s.length})` : '-';
};
for (const run of runs) {
  if (run.length <= warmUp) continue; // a warm-up run
  console.log(run[0].target);
  console.log(`  all requests                    ${stats(run.map((r) => r.ms))}`);
  console.log(`  first request, new connection   ${stats(run.filter((r) => !r.reused).map((r) => r.ms))}`);
  console.log(`  on an open connection           ${stats(run.filter((r) => r.reused).map((r) => r.ms))}`);
}
