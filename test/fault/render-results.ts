// Renders the figures the fault tests wrote (os.tmpdir()/herald-fault-results/*.json) into the
// results table of docs/reliability.md, between its markers. Run after the fault suite:
//   npx jest test/fault && npx tsx test/fault/render-results.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_DIR, type ResultRow } from './outcome';

const DOC = path.resolve(__dirname, '../../docs/reliability.md');
const START = '<!-- fault-results:start -->';
const END = '<!-- fault-results:end -->';

const files = fs.existsSync(RESULTS_DIR) ? fs.readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json')).sort() : [];
if (files.length === 0) {
  process.stderr.write(`no results in ${RESULTS_DIR}: run \`npx jest test/fault\` first\n`);
  process.exit(1);
}
const rows = files.map((f) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, f), 'utf8')) as ResultRow & { at: string });
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const lines = [
  `Produced by the tests themselves (\`npx jest test/fault\`, then \`npx tsx test/fault/render-results.ts\`), run of ${rows[0].at.slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}).`,
  '',
  '| fault | messages to send | sent | failed | lost | duplicated | possible duplicates recorded (received twice) | time to recover | note |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.fault} | ${r.sent} | ${r.delivered} | ${r.failed} | ${r.lost} | ${r.duplicated} | ${r.possibleDuplicates} (${r.receivedTwice ?? 0}) | ${secs(r.recoverMs)} | ${r.note ?? ''} |`),
];
const doc = fs.readFileSync(DOC, 'utf8');
const a = doc.indexOf(START);
const b = doc.indexOf(END);
if (a < 0 || b < a) throw new Error(`${DOC} has no ${START} ... ${END} markers`);
fs.writeFileSync(DOC, `${doc.slice(0, a + START.length)}\n${lines.join('\n')}\n${doc.slice(b)}`);
process.stdout.write(`wrote ${rows.length} rows to ${DOC}\n`);
