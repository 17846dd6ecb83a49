// A probe preloaded into the bench's children that writes a timeline of the accept path, to find what the
// slow POSTs waited for: each POST's time in the server ('request' to 'finish'), event-loop turns longer than
// 8 ms, GC pauses, SQLite statements longer than 2 ms, the WAL fsyncs and the waits on the thread locks, in
// every thread (one file each), and in the main thread every 50 ms its time on a core and waiting for one
// (schedstat) and every thread's CPU (/proc/self/task). Files in /tmp/herald-accept-trace, by pid.
//   BENCH_CHILD_NODE_OPTIONS="--require $PWD/bench/accept-trace.js" npm run bench -- --only embedded --subscribers 2000 --raw 20000
//   node bench/accept-trace.js [dir] [bucketMs]   # herald's accept window: counts, per-thread CPU, then buckets
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function probe() {
  const http = require('node:http');
  const { isMainThread, threadId } = require('node:worker_threads');
  const { PerformanceObserver, performance } = require('node:perf_hooks');
  if (global.__heraldAcceptTrace) return;
  global.__heraldAcceptTrace = true;
  const dir = process.env.ACCEPT_TRACE_DIR || '/tmp/herald-accept-trace';
  fs.mkdirSync(dir, { recursive: true });
  // One file a thread: <pid>.jsonl for the main thread, <pid>-<threadId>.jsonl for the others.
  const file = path.join(dir, isMainThread ? `${process.pid}.jsonl` : `${process.pid}-${threadId}.jsonl`);
  let lines = [];
  // Epoch ms, so that the threads' files line up (each thread's performance.now() counts from its own start).
  const base = performance.timeOrigin;
  const now = () => base + performance.now();
  const rec = (o) => lines.push(JSON.stringify(o));
  if (isMainThread) {
    const emit = http.Server.prototype.emit;
    http.Server.prototype.emit = function (event, req, res) {
      if (event === 'request' && req.method === 'POST') {
        const t0 = now();
        res.once('finish', () => rec({ k: 'post', t: t0, d: now() - t0, s: res.statusCode }));
      }
      return emit.apply(this, arguments);
    };
  }
  if (isMainThread) {
    // The main thread's time on a core and waiting for one (schedstat, ns) every 50 ms.
    const stat = `/proc/self/task/${process.pid}/schedstat`;
    let prev = fs.readFileSync(stat, 'utf8').split(' ').map(Number);
    setInterval(() => {
      const cur = fs.readFileSync(stat, 'utf8').split(' ').map(Number);
      rec({ k: 'sched', t: now(), run: (cur[0] - prev[0]) / 1e6, wait: (cur[1] - prev[1]) / 1e6 });
      prev = cur;
      // Every thread's CPU so far (utime + stime, clock ticks), by thread id and name.
      const cpu = {};
      for (const tid of fs.readdirSync('/proc/self/task')) {
        try {
          const st = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
          const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
          const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
          cpu[`${tid} ${name}`] = Number(f[11]) + Number(f[12]);
        } catch {
          // The thread ended meanwhile.
        }
      }
      rec({ k: 'tasks', t: now(), cpu });
    }, 50).unref();
  }
  let last = now();
  const tick = () => {
    const t = now();
    if (t - last > 8) rec({ k: 'turn', t: last, d: t - last });
    last = t;
    setTimeout(tick, 1).unref();
  };
  tick();
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) rec({ k: 'gc', t: base + e.startTime, d: e.duration, g: e.detail ? e.detail.kind : e.kind });
  }).observe({ entryTypes: ['gc'] });
  // SQLite statements of this thread (BEGIN and COMMIT of transactions too) that took longer than 2 ms.
  try {
    const Database = require(require.resolve('better-sqlite3', { paths: [process.cwd()] }));
    const mem = new Database(':memory:');
    const proto = Object.getPrototypeOf(mem.prepare('SELECT 1'));
    for (const m of ['run', 'get', 'all']) {
      const orig = proto[m];
      proto[m] = function () {
        const t0 = now();
        try {
          return orig.apply(this, arguments);
        } finally {
          const d = now() - t0;
          if (d > 2) rec({ k: 'sql', t: t0, d, q: this.source.slice(0, 60) });
        }
      };
    }
    mem.close();
  } catch (e) {
    rec({ k: 'error', m: String(e) });
  }
  // fsyncs through fs.promises (the group commits' WAL fsyncs).
  void fs.promises.open(__filename, 'r').then((h) => {
    const P = Object.getPrototypeOf(h);
    const sync = P.sync;
    P.sync = function () {
      const t0 = now();
      return sync.apply(this, arguments).finally(() => rec({ k: 'fsync', t: t0, d: now() - t0 }));
    };
    return h.close();
  });
  // Waits on the thread locks (Atomics.waitAsync, captured when thread-lock.js loads: after this probe).
  const wa = Atomics.waitAsync;
  Atomics.waitAsync = function () {
    const t0 = now();
    const r = wa.apply(Atomics, arguments);
    if (r.async) r.value.then(() => rec({ k: 'lock', t: t0, d: now() - t0 }));
    return r;
  };
  const flush = () => {
    if (!lines.length) return;
    fs.appendFileSync(file, lines.join('\n') + '\n');
    lines = [];
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
}

/** The events of every thread of the `herald all` child in `dir` (the process that answered POSTs and fsynced). */
function load(dir) {
  const files = fs.readdirSync(dir);
  const read = (f, th) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => ({ ...JSON.parse(l), th }));
  const main = files.filter((f) => !f.includes('-')).map((f) => ({ f, ev: read(f, 'main') })).filter((m) => m.ev.some((e) => e.k === 'fsync'));
  main.sort((a, b) => b.ev.filter((e) => e.k === 'post').length - a.ev.filter((e) => e.k === 'post').length);
  const pid = main[0].f.split('.')[0];
  return main[0].ev.concat(...files.filter((f) => f.startsWith(`${pid}-`)).map((f) => read(f, `thread ${f.split('-')[1].split('.')[0]}`)));
}

function report(dir, bucketMs) {
  const ev = load(dir);
  const posts = ev.filter((e) => e.k === 'post').sort((a, b) => a.t - b.t);
  const t0 = posts[0].t;
  const t1 = Math.max(...posts.map((p) => p.t + p.d));
  const inside = ev.filter((e) => e.t >= t0 && e.t <= t1);
  const q = (a, x) => (a.length ? a[Math.floor(x * (a.length - 1))].toFixed(1) : '-');
  const sorted = (a) => a.slice().sort((x, y) => x - y);
  const d = sorted(posts.map((p) => p.d));
  console.log(`${posts.length} POSTs in ${(t1 - t0).toFixed(0)} ms; time in the server p50 ${q(d, 0.5)} p99 ${q(d, 0.99)} max ${q(d, 1)} ms`);
  for (const th of [...new Set(inside.map((e) => e.th))].sort()) {
    const of = (k) => sorted(inside.filter((e) => e.k === k && e.th === th).map((e) => e.d));
    const [f, l, g, t] = [of('fsync'), of('lock'), of('gc'), of('turn')];
    const sum = (a) => a.reduce((x, y) => x + y, 0).toFixed(0);
    console.log(`  ${th}: fsyncs ${f.length} (p50 ${q(f, 0.5)} p90 ${q(f, 0.9)} max ${q(f, 1)} ms), lock waits ${l.length} (${sum(l)} ms), GC pauses ${g.length} (${sum(g)} ms), turns > 8 ms ${t.length} (${sum(t)} ms)`);
  }
  const sched = inside.filter((e) => e.k === 'sched');
  console.log(`  main thread on a core ${sched.reduce((a, e) => a + e.run, 0).toFixed(0)} ms, waiting for one ${sched.reduce((a, e) => a + e.wait, 0).toFixed(0)} ms`);
  const tasks = ev.filter((e) => e.k === 'tasks').sort((a, b) => a.t - b.t);
  const a = tasks.filter((e) => e.t <= t0).pop() ?? tasks[0];
  const b = tasks.find((e) => e.t >= t1) ?? tasks[tasks.length - 1];
  const cpu = Object.keys(b.cpu).map((k) => [k, (b.cpu[k] - (a.cpu[k] ?? 0)) * 10]).filter((r) => r[1] > 0).sort((x, y) => y[1] - x[1]);
  console.log(`  CPU ms of each thread (tid name) over ${(b.t - a.t).toFixed(0)} ms: ${cpu.map((r) => `${r[0]} ${r[1]}`).join(', ')}`);
  for (let s = t0; s < t1; s += bucketMs) {
    const e = s + bucketMs;
    const answered = posts.filter((p) => p.t + p.d >= s && p.t + p.d < e);
    const worst = Math.max(0, ...answered.map((p) => p.d));
    const list = (k, th) => inside.filter((x) => x.k === k && x.th === th && x.t >= s && x.t < e).map((x) => x.d.toFixed(0)).join(',');
    const sc = sched.filter((x) => x.t >= s && x.t < e);
    console.log(
      `+${(s - t0).toFixed(0).padStart(5)} ms: ${String(answered.length).padStart(3)} answered, slowest ${worst.toFixed(0).padStart(3)} ms; main on a core ${sc.reduce((x, y) => x + y.run, 0).toFixed(0)}, waiting ${sc.reduce((x, y) => x + y.wait, 0).toFixed(0)}; turns ${list('turn', 'main')}; fsyncs ${list('fsync', 'main')}; lock ${list('lock', 'main')}; gc ${list('gc', 'main')}`,
    );
  }
}

if (require.main === module) report(process.argv[2] ?? '/tmp/herald-accept-trace', Number(process.argv[3] ?? 200));
else probe();
