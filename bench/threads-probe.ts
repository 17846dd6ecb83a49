// One embedded fan-out (`herald all` from dist, http sink) with a given worker.senderThreads, and the
// CPU per message of each OS thread of the Herald process (main, sender threads, V8's helpers), from
// /proc/<pid>/task, counted from start-up's end: which thread is the longest path.
//   flock /work/bench.lock npx tsx bench/threads-probe.ts <senderThreads|auto> [messages=10000] [--no-build]
// PROBE_PROF=<dir>: CPU profiles of every thread (npx tsx bench/cpu-top.ts <dir>/*.cpuprofile).
// --metered: the default workspace metered (1,000,000 credits, as the metering phase): what metering costs each thread.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedInstallation } from './embedded';
import { fanout } from './fanout';
import { buildHerald } from './processes';

async function main() {
  const threads = process.argv[2] ?? 'auto';
  const n = Number(process.argv[3] ?? 10000);
  if (!process.argv.includes('--no-build')) buildHerald();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threads-probe-'));
  const say = (s: string) => process.stdout.write(s + '\n');
  const inst = await embeddedInstallation(dir, 'fan', {
    'worker.prefetch': 100,
    'worker.senderThreads': threads === 'auto' ? 'auto' : Number(threads),
    ...(process.argv.includes('--metered') ? { 'credits.defaultBalance': 1_000_000 } : {}),
  }, say, process.env.PROBE_PROF);
  await inst.seed('fanout', 'f', n, 0);
  const tasks = new Map<string, number>();
  const sampler = setInterval(() => {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
        for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
          const t = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          const comm = tid === pid ? 'main' : t.slice(t.indexOf('(') + 1, t.lastIndexOf(')'));
          const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
          tasks.set(`${tid}:${comm}`, (Number(f[11]) + Number(f[12])) / 100);
        }
      } catch {
        // the process or thread is gone
      }
    }
  }, 200);
  let atStart = new Map<string, number>();
  const launch = inst.env.launch.bind(inst.env);
  inst.env.launch = async (...a: Parameters<typeof launch>) => {
    const h = await launch(...a);
    await new Promise((r) => setTimeout(r, 300));
    atStart = new Map(tasks);
    return h;
  };
  const r = await fanout(inst.env, 'fanout', n, 'http', 180_000, 'probe');
  await inst.close();
  clearInterval(sampler);
  const top = [...tasks].map(([k, v]) => [k, v - (atStart.get(k) ?? 0)] as const).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k}=${((v * 1e6) / n).toFixed(0)}us`).join(' ');
  say(`CPU per message by thread: ${top}`);
  say(JSON.stringify({ peakMb: r.peakMb, threads, metered: process.argv.includes('--metered'), deliveredPerS: Math.round(r.deliveredPerS), fanoutPerS: Math.round(r.fanoutPerS), cpu: r.cpu, lost: r.lost, dup: r.duplicated, dir }));
}
void main();
