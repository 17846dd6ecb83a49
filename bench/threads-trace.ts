// Per-thread CPU utilisation over time during one embedded fan-out (`herald all` from dist, http
// sink): every 100 ms, the busy share of Herald's main thread, its sender threads, its other threads
// (V8 and libuv helpers) and the bench process (client and sink), and the two cores' total. Shows
// whether the cores are busy and which thread waits; threads-probe.ts gives CPU per message.
//   npx tsx bench/threads-trace.ts [messages=20000] [--no-build] [--every 10] [key=value ...]
// key=value: config overrides, e.g. worker.prefetch=200.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedInstallation } from './embedded';
import { fanout } from './fanout';
import { buildHerald } from './processes';

const TICK_MS = 100;

/** utime+stime ticks (1/100 s) of each thread of `pid`, by thread id ('main' for the main thread). */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const t = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid) === pid ? 'main' : tid, Number(f[11]) + Number(f[12]));
    } catch {
      // the thread is gone
    }
  }
  return out;
}

/** ns on a CPU and ns runnable but waiting for one, of each thread of `pid` (/proc/.../schedstat). */
function threadSched(pid: number): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        out.set(Number(tid) === pid ? 'main' : tid, [run, wait]);
      } catch {
        // gone
      }
    }
  } catch {
    // gone
  }
  return out;
}

/** Busy ticks of the whole machine (every process, every core). */
function machineTicks(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}

async function main() {
  const args = process.argv.slice(2);
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 20000);
  const every = Number(args[args.indexOf('--every') + 1] ?? 0) || 10;
  const overrides: Record<string, unknown> = { 'worker.prefetch': 100 };
  for (const a of args.filter((x) => x.includes('='))) {
    const [k, v] = a.split('=');
    overrides[k] = /^\d+$/.test(v) ? Number(v) : v;
  }
  if (!args.includes('--no-build')) buildHerald();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threads-trace-'));
  const say = (s: string) => process.stdout.write(s + '\n');
  const inst = await embeddedInstallation(dir, 'fan', overrides, say, process.env.PROBE_PROF);
  await inst.seed('fanout', 'f', n, 0);
  let herald = 0;
  const launch = inst.env.launch.bind(inst.env);
  inst.env.launch = async (...a: Parameters<typeof launch>) => {
    const h = await launch(...a);
    herald = h.pids.herald!;
    return h;
  };
  // Node names no thread: the sender thread is the one besides main with the most CPU (threads-probe.ts lists them all).
  const samples: Array<{ t: number; ticks: Map<string, number>; bench: number; machine: number; sched: Map<string, [number, number]> }> = [];
  let t0 = 0;
  const sampler = setInterval(() => {
    if (!herald) return;
    t0 ||= Date.now();
    samples.push({ t: Date.now() - t0, ticks: threadTicks(herald), bench: [...threadTicks(process.pid).values()].reduce((a, b) => a + b, 0), machine: machineTicks(), sched: threadSched(herald) });
  }, TICK_MS);
  const r = await fanout(inst.env, 'fanout', n, 'http', 180_000, 'trace');
  clearInterval(sampler);
  const most = new Map<string, number>();
  for (const s of samples) for (const [k, v] of s.ticks) most.set(k, Math.max(v, most.get(k) ?? 0));
  const sender = [...most].filter(([k]) => k !== 'main').sort((a, b) => b[1] - a[1])[0]?.[0];
  const rows = samples.slice(1).map((s, i) => {
    const p = samples[i];
    const d = (k: string) => (s.ticks.get(k) ?? p.ticks.get(k) ?? 0) - (p.ticks.get(k) ?? 0);
    const all = [...s.ticks.keys()].reduce((a, k) => a + d(k), 0);
    const ours = all + s.bench - p.bench;
    return { t: s.t, main: d('main'), sender: sender ? d(sender) : 0, other: all - d('main') - (sender ? d(sender) : 0), bench: s.bench - p.bench, rest: Math.max(0, s.machine - p.machine - ours) };
  });
  await inst.close();
  // Ticks per 100 ms are percent of one core (1 tick = 10 ms).
  const pct = (x: number) => String(Math.round((x * 10 * 100) / TICK_MS)).padStart(4);
  say('  t(ms) main sndr othr bench  sum  rest (% of one core, per 100 ms; grouped by ' + every + '; rest: other processes)');
  for (let i = 0; i + every <= rows.length; i += every) {
    const g = rows.slice(i, i + every);
    const s = (k: 'main' | 'sender' | 'other' | 'bench' | 'rest') => g.reduce((a, x) => a + x[k], 0) / g.length;
    const sum = s('main') + s('sender') + s('other') + s('bench');
    say(`${String(g[0].t).padStart(7)} ${pct(s('main'))} ${pct(s('sender'))} ${pct(s('other'))} ${pct(s('bench'))} ${pct(sum)}  ${pct(s('rest'))}`);
  }
  // The busy part: from the first to the last sample with the sender thread working.
  const busy = rows.filter((x) => x.sender > 0);
  const avg = (k: 'main' | 'sender' | 'other' | 'bench' | 'rest') => busy.reduce((a, x) => a + x[k], 0) / Math.max(1, busy.length);
  const total = avg('main') + avg('sender') + avg('other') + avg('bench');
  say(`while sending (${busy.length} samples): main ${pct(avg('main'))}% sender ${pct(avg('sender'))}% other ${pct(avg('other'))}% bench ${pct(avg('bench'))}%  = ${(total / 10).toFixed(2)} cores of ${os.availableParallelism()}; other processes ${pct(avg('rest'))}%`);
  // The sender thread's wall time split: running, runnable but waiting for a core (other threads and
  // processes took it), and blocked (nothing to do: its own waits). Over the samples where it ran.
  if (sender && busy.length > 1) {
    const first = samples.findIndex((x) => x.t === busy[0].t) - 1;
    const lastI = samples.findIndex((x) => x.t === busy[busy.length - 1].t);
    const a = samples[Math.max(0, first)];
    const b = samples[lastI];
    const [r0, w0] = a.sched.get(sender) ?? [0, 0];
    const [r1, w1] = b.sched.get(sender) ?? [0, 0];
    const wall = (b.t - a.t) * 1e6;
    const run = (r1 - r0) / wall;
    const wait = (w1 - w0) / wall;
    say(`sender thread wall time: running ${(run * 100).toFixed(0)}%, waiting for a core ${(wait * 100).toFixed(0)}%, blocked (its own waits) ${((1 - run - wait) * 100).toFixed(0)}%`);
  }
  say(JSON.stringify({ n, deliveredPerS: Math.round(r.deliveredPerS), fanoutPerS: Math.round(r.fanoutPerS), seconds: r.seconds, cpuUsPerMsg: Object.fromEntries(Object.entries(r.cpu).map(([k, v]) => [k, Math.round((v * 1e6) / n)])), lost: r.lost, dup: r.duplicated, overrides }));
}
void main();
