// Which SQLite statements a Herald process runs (each thread of `herald all` on its own), counted per
// statement text: calls, and rows changed by the writes. Statements a message vs another run (metered
// against unmetered, before against after) is what a store change moves; CPU figures on the shared VM move more.
//   BENCH_CHILD_NODE_OPTIONS="--require $PWD/bench/sqlite-shapes.js" \
//     npm run bench -- --only metering --quick --metering-backends embedded --metering-subscribers 10000 --metering-rounds 1
//   node bench/sqlite-shapes.js /tmp/sqlite-shapes 10000      # a table per child process (in the order they ran), per message sent
// Each thread writes /tmp/sqlite-shapes/<pid>-<threadId>.json (every second and at exit): [{sql, calls, changes}]
// (the bench gives its children no environment but HERALD_CONFIG and NODE_OPTIONS: the folder is fixed).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

if (require.main === module) {
  const [dir, messages] = [process.argv[2] || '/tmp/sqlite-shapes', Number(process.argv[3] || 1)];
  const byPid = new Map();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const pid = f.split('-')[0];
    const rows = byPid.get(pid) || new Map();
    for (const r of JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) {
      const key = `${f.split('-')[1].replace('.json', '') === '0' ? 'main' : 'thread'} ${r.sql}`;
      const c = rows.get(key) || { calls: 0, changes: 0 };
      c.calls += r.calls;
      c.changes += r.changes;
      rows.set(key, c);
    }
    byPid.set(pid, rows);
  }
  for (const [pid, rows] of [...byPid].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const list = [...rows].filter(([, c]) => c.calls / messages >= 0.001).sort((a, b) => b[1].calls - a[1].calls);
    const write = (k) => /^(main|thread) (INSERT|UPDATE|DELETE|REPLACE)/.test(k);
    const total = list.reduce((a, [k, c]) => (write(k) ? { calls: a.calls + c.calls, changes: a.changes + c.changes } : a), { calls: 0, changes: 0 });
    console.log(`process ${pid}: ${(total.calls / messages).toFixed(3)} write statements, ${(total.changes / messages).toFixed(3)} rows written a message`);
    for (const [k, c] of list) console.log(`  ${(c.calls / messages).toFixed(3)} calls ${(c.changes / messages).toFixed(3)} rows  ${k.slice(0, 150)}`);
  }
  return;
}

const Database = require('better-sqlite3');
const { threadId } = require('node:worker_threads');
const dir = '/tmp/sqlite-shapes';
const counts = new Map();
const norm = (sql) => sql.replace(/\s+/g, ' ').trim().slice(0, 240);
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql) {
  const stmt = prepare.call(this, sql);
  const key = norm(sql);
  const c = counts.get(key) || { calls: 0, changes: 0 };
  counts.set(key, c);
  const { run, get, all, iterate } = stmt;
  stmt.run = function (...a) {
    const r = run.apply(this, a);
    c.calls++;
    c.changes += r.changes;
    return r;
  };
  for (const [name, fn] of [['get', get], ['all', all], ['iterate', iterate]]) {
    stmt[name] = function (...a) {
      c.calls++;
      return fn.apply(this, a);
    };
  }
  return stmt;
};
const write = () => {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const rows = [...counts].filter(([, c]) => c.calls > 0).map(([sql, c]) => ({ sql, ...c }));
    fs.writeFileSync(path.join(dir, `${process.pid}-${threadId}.json`), JSON.stringify(rows));
  } catch {
    // best effort
  }
};
setInterval(write, 1000).unref();
process.on('exit', write);
