// Which MongoDB command shapes a Herald process sends, counted per shape (command, collection,
// the filter's keys and operators, sort, batch size): which ones a server without a query planner
// (mongo-java-server: an index only for a filter whose keys are exactly a unique index's) scans for.
//   BENCH_CHILD_NODE_OPTIONS="--require $PWD/bench/mongo-shapes.js" MONGO_SHAPES_DIR=/tmp/shapes npm run bench -- --only fanout --quick
// Each child writes <dir>/<pid>.json at exit: [{shape, commands, statements}], most frequent first.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const mongoose = require('mongoose');

const dir = process.env.MONGO_SHAPES_DIR || '/tmp/mongo-shapes';
const counts = new Map();

function shape(v) {
  if (v === null || typeof v !== 'object' || v instanceof Date || Array.isArray(v) || v._bsontype) return '·';
  const keys = Object.keys(v);
  return `{${keys.map((k) => (k.startsWith('$') ? `${k}${k === '$in' || k === '$nin' ? '' : shapeOps(v[k])}` : `${k}${shapeOps(v[k])}`)).join(',')}}`;
}
function shapeOps(v) {
  if (Array.isArray(v)) return v.length && typeof v[0] === 'object' && !v[0]._bsontype && !(v[0] instanceof Date) ? `[${v.map(shape).join('|')}]` : '';
  const s = shape(v);
  return s === '·' ? '' : `:${s}`;
}
function add(key, statements) {
  const c = counts.get(key) ?? { commands: 0, statements: 0 };
  c.commands++;
  c.statements += statements;
  counts.set(key, c);
}
function record(name, cmd) {
  const coll = typeof cmd[name] === 'string' ? cmd[name] : '';
  switch (name) {
    case 'update':
      for (const u of new Set(cmd.updates.map((x) => `update ${coll} q=${shape(x.q)} u=${Object.keys(x.u).join(',')}${x.upsert ? ' upsert' : ''}`))) add(u, cmd.updates.filter((x) => `update ${coll} q=${shape(x.q)} u=${Object.keys(x.u).join(',')}${x.upsert ? ' upsert' : ''}` === u).length);
      return;
    case 'insert':
      return add(`insert ${coll}`, cmd.documents.length);
    case 'delete':
      for (const d of cmd.deletes) add(`delete ${coll} q=${shape(d.q)}`, 1);
      return;
    case 'find':
      return add(`find ${coll} q=${shape(cmd.filter ?? {})} sort=${shape(cmd.sort ?? {})}`, 1);
    case 'findAndModify':
      return add(`findAndModify ${coll} q=${shape(cmd.query ?? {})} u=${cmd.update ? Object.keys(cmd.update).join(',') : 'remove'}${cmd.upsert ? ' upsert' : ''}`, 1);
    case 'aggregate':
      return add(`aggregate ${coll} ${(cmd.pipeline ?? []).map((s) => Object.keys(s)[0] + (s.$match ? shape(s.$match) : '')).join(' ')}`, 1);
    case 'count':
    case 'countDocuments':
      return add(`${name} ${coll} q=${shape(cmd.query ?? {})}`, 1);
    default:
      return add(name, 1);
  }
}

const createConnection = mongoose.createConnection.bind(mongoose);
mongoose.createConnection = (uri, opts) => {
  const conn = createConnection(uri, { ...opts, monitorCommands: true });
  conn.asPromise().then(
    () => conn.getClient().on('commandStarted', (e) => {
      try {
        record(e.commandName, e.command);
      } catch (err) {
        add(`${e.commandName} (unrecorded: ${err.message})`, 1);
      }
    }),
    () => undefined,
  );
  return conn;
};

process.on('exit', () => {
  fs.mkdirSync(dir, { recursive: true });
  const rows = [...counts].map(([s, c]) => ({ shape: s, ...c })).sort((a, b) => b.statements - a.statements);
  fs.writeFileSync(path.join(dir, `${process.pid}-${process.argv.slice(2).map((a) => path.basename(a)).join('_')}.json`), JSON.stringify(rows, null, 1));
});
