// A probe preloaded into the bench's children: every second, the process's CPU, its event-loop delay
// (perf_hooks.monitorEventLoopDelay) and the time its HTTP server took for the POSTs it answered
// ('request' to 'finish'), and how long new connections waited for their first request. One file per
// process in $LOOP_PROBE_DIR (default /tmp/herald-loop-probe), named by pid, first line its command.
//   BENCH_CHILD_NODE_OPTIONS="--require $PWD/bench/loop-probe.js" npm run bench -- --only stream --quick
// What it showed (2026-12-01): the accept stream's p99 was the first request on each of the timed
// run's 50 new connections; Node accepts one connection per event-loop turn.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');

if (!global.__heraldLoopProbe) {
  global.__heraldLoopProbe = true;
  const dir = process.env.LOOP_PROBE_DIR || '/tmp/herald-loop-probe';
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${process.pid}.log`);
  fs.writeFileSync(file, `# ${process.argv.slice(1).join(' ')}\n`);
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let posts = [];
  let firsts = [];
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, a, b) {
    if (event === 'connection') a.__probeAt = process.hrtime.bigint();
    if (event === 'request' && a.socket.__probeAt !== undefined) {
      firsts.push(Number(process.hrtime.bigint() - a.socket.__probeAt) / 1e6);
      a.socket.__probeAt = undefined;
    }
    if (event === 'request' && a.method === 'POST') {
      const t0 = process.hrtime.bigint();
      b.once('finish', () => posts.push(Number(process.hrtime.bigint() - t0) / 1e6));
    }
    return emit.apply(this, arguments);
  };
  let cpu = process.cpuUsage();
  const ms = (ns) => (ns / 1e6).toFixed(1);
  setInterval(() => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const l = posts.sort((x, y) => x - y);
    const q = (p) => (l.length ? l[Math.min(l.length - 1, Math.floor(p * l.length))].toFixed(1) : '-');
    let line = `${new Date().toISOString().slice(11, 19)} cpu ${((used.user + used.system) / 1e4).toFixed(0)}%`;
    line += ` loop p50 ${ms(delay.percentile(50))} p99 ${ms(delay.percentile(99))} max ${ms(delay.max)} ms`;
    if (l.length) line += ` | POST ${l.length} p50 ${q(0.5)} p99 ${q(0.99)} max ${l[l.length - 1].toFixed(1)} ms`;
    if (firsts.length) line += ` | new connections ${firsts.length}, to first request max ${Math.max(...firsts).toFixed(1)} ms`;
    fs.appendFileSync(file, `${line}\n`);
    posts = [];
    firsts = [];
    delay.reset();
  }, 1000).unref();
}
