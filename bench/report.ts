// The bench's figures as a console table and as docs/benchmarks.md, with the machine and the
// date, compared with the targets of issue 4.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import type { BenchOptions } from './index';
import type { BarePipelineResult } from './bare-pipeline';
import type { BareEmbeddedResult } from './bare-embedded';
import type { FanoutResult } from './fanout';
import type { RawBrokerResult } from './raw-broker';
import type { StreamResult } from './stream';
import { heraldCpuPerMessage, median as medianOf, type MeteringResult } from './metering';
import type { UsageBenchResult } from './usage';
import type { SheetsBenchResult } from './sheets';
import type { CampaignBenchResult } from './campaigns';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
}

export interface EmbeddedReport {
  bare: BareEmbeddedResult;
  fanout?: FanoutResult;
  stream?: StreamResult;
}

/** Every figure is optional: `--only` runs a subset of the phases. */
export interface BenchReport {
  options: BenchOptions;
  machine: Machine;
  date: Date;
  durationS: number;
  raw?: RawBrokerResult;
  bare?: BarePipelineResult;
  fanouts: FanoutResult[];
  stream?: StreamResult;
  embedded?: EmbeddedReport;
  /** One per backend (MongoDB + RabbitMQ, embedded). */
  metering?: MeteringResult[];
  usage?: UsageBenchResult[];
  sheets?: SheetsBenchResult;
  campaigns?: CampaignBenchResult;
  /** Phases that threw (the others still ran): the run fails. */
  failedPhases?: string[];
}


export const MEMORY_LIMIT_MB = 512;

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const pct = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)} %`;
const lostText = (lost: number | undefined, unfinished: number) => (lost === undefined ? `? (${int(unfinished)} unsent at the time limit)` : String(lost));

/** CPU microseconds per message sent, per process, in the order of the figure's name. */
const perMessage = (cpu: Record<string, number>, messages: number): string =>
  Object.values(cpu)
    .map((s) => int((s * 1e6) / Math.max(1, messages)))
    .join(' / ');
const cpuPerMessage = (f: FanoutResult): string => perMessage(f.cpu, f.sent);

interface Row {
  figure: string;
  value: string;
  target: string;
  verdict: string;
}

function usageRows(u: UsageBenchResult): Row[] {
  return u.queries.map((q) => ({
    figure: `usage API at ${int(u.messages)} messages (${u.store}): ${q.name}`,
    value: `p50 ${q.p50Ms.toFixed(1)} ms, max ${q.maxMs.toFixed(1)} ms`,
    target: '< 100 ms',
    verdict: verdict(q.maxMs < 100),
  }));
}

function campaignRows(c: CampaignBenchResult): Row[] {
  const i = c.import;
  const run = c.run;
  const tag = `campaign ${int(run.messages)} -> ${run.sink}`;
  return [
    { figure: `CSV import ${int(i.rows)} rows (POST /v1/imports, embedded store)`, value: `${int(i.rowsPerS)} rows/s (${i.seconds.toFixed(1)} s)`, target: '', verdict: '' },
    { figure: `CSV import ${int(i.rows)} rows: peak RSS of the server`, value: `${i.peakMb} MB`, target: `< ${MEMORY_LIMIT_MB} MB`, verdict: verdict(i.peakMb < MEMORY_LIMIT_MB) },
    { figure: `${tag}: delivered end to end (run to last SMS)`, value: `${int(run.deliveredPerS)} msg/s (${run.seconds.toFixed(1)} s)`, target: '', verdict: '' },
    { figure: `${tag}: sent / lost / duplicated`, value: `${int(run.sent)} / ${lostText(run.lost, run.unfinished)} / ${run.duplicated}`, target: `${int(run.messages)} / 0 / 0`, verdict: verdict(run.lost === 0 && run.duplicated === 0) },
  ];
}

function sheetsRows(x: SheetsBenchResult): Row[] {
  const tag = `Google Sheets export of ${int(x.events)} events (fake Sheets API, ${x.batchRows} rows a call)`;
  return [
    { figure: `${tag}: published to confirmed in the sheet`, value: `${int(x.rowsPerS)} rows/s (${x.seconds.toFixed(1)} s; publishing took ${x.publishS.toFixed(1)} s)`, target: '', verdict: '' },
    { figure: `${tag}: calls append / get / update / token`, value: `${x.calls.append} / ${x.calls.get} / ${x.calls.update} / ${x.calls.token}`, target: `>= ${Math.ceil(x.events / x.batchRows)} appends`, verdict: '' },
    { figure: `${tag}: rows in the sheet / lost / duplicated`, value: `${int(x.rowsInSheet)} / ${x.lost} / ${x.duplicated}`, target: `${int(x.events)} / 0 / 0`, verdict: verdict(x.lost === 0 && x.duplicated === 0) },
  ];
}

const ratio = (a: number, b: number | undefined) => (b ? `${((a / b) * 100).toFixed(1)} %` : 'n/a');
const underLimit = (p: Record<string, number>) => Math.max(0, ...Object.values(p)) <= MEMORY_LIMIT_MB;
const µs = (seconds: number | undefined, messages: number) => ((seconds ?? 0) * 1e6) / Math.max(1, messages);

/** The end-to-end rows of one fan-out, against the bare pipeline of the same backend. */
function fanoutRows(f: FanoutResult, backend: string, barePerS: number | undefined, rawPerS?: number): Row[] {
  const tag = `${backend}fan-out ${int(f.subscribers)} -> ${f.sink}`;
  const out: Row[] = [
    { figure: `${tag}: published to the sms queue`, value: `${int(f.fanoutPerS)} msg/s`, target: '', verdict: '' },
    {
      figure: `${tag}: delivered end to end`,
      value: `${int(f.deliveredPerS)} msg/s (${f.seconds.toFixed(1)} s)`,
      target: barePerS ? `>= ${int(barePerS / 2)} msg/s` : '',
      verdict: barePerS ? verdict(f.completed && f.deliveredPerS >= barePerS / 2) : '',
    },
    { figure: `${tag}: delivered / bare pipeline`, value: ratio(f.deliveredPerS, barePerS), target: '>= 50 %', verdict: '' },
  ];
  if (rawPerS) out.push({ figure: `${tag}: delivered / raw broker`, value: ratio(f.deliveredPerS, rawPerS), target: '', verdict: '' });
  out.push(
    { figure: `${tag}: CPU per message ${Object.keys(f.cpu).join(' / ')}`, value: `${cpuPerMessage(f)} µs`, target: '', verdict: '' },
    { figure: `${tag}: peak RSS ${Object.keys(f.peakMb).join(' / ')}`, value: `${Object.values(f.peakMb).join(' / ')} MB`, target: `<= ${MEMORY_LIMIT_MB} MB`, verdict: verdict(underLimit(f.peakMb)) },
    { figure: `${tag}: sent / lost / duplicated`, value: `${int(f.sent)} / ${lostText(f.lost, f.unfinished)} / ${f.duplicated}`, target: `${int(f.subscribers)} / 0 / 0`, verdict: verdict(f.lost === 0 && f.duplicated === 0) },
  );
  return out;
}

/** The accept rows of one stream: Herald's POST /v1/notifications against bare express measured just before. */
function streamRows(s: StreamResult, backend: string): Row[] {
  const tag = `${backend}accept: POST /v1/notifications, ${s.concurrency} in flight, ${int(s.notifications)} x ${s.subscribers} -> ${s.sink}`;
  return [
    { figure: `${backend}bare express 202, same load`, value: `${int(s.bare.perS)} /s, p99 ${ms(s.bare.p99Ms)}`, target: 'reference', verdict: '' },
    { figure: `${tag}: accepted`, value: `${int(s.herald.perS)} /s`, target: `>= ${int(s.bare.perS / 2)} /s`, verdict: verdict(s.completed && s.herald.perS >= s.bare.perS / 2) },
    { figure: `${backend}accept rate / bare express`, value: ratio(s.herald.perS, s.bare.perS), target: '>= 50 %', verdict: '' },
    { figure: `${backend}accept latency p50 / p99 (on the warm-up's keep-alive connections)`, value: `${ms(s.herald.p50Ms)} / ${ms(s.herald.p99Ms)}`, target: 'p99 < 100 ms', verdict: verdict(s.herald.p99Ms < 100) },
    { figure: `${backend}warm-up: ${s.warmUp.requests} POSTs opening ${s.concurrency} connections, before the fan-out load: p50 / p99 / max`, value: `${ms(s.warmUp.p50Ms)} / ${ms(s.warmUp.p99Ms)} / ${ms(s.warmUp.maxMs)}`, target: '', verdict: '' },
    { figure: `${backend}accept phase: delivered end to end (while accepting)`, value: `${int(s.deliveredPerS)} msg/s`, target: '', verdict: '' },
    { figure: `${backend}accept phase: CPU per message ${Object.keys(s.cpu).join(' / ')}`, value: `${perMessage(s.cpu, s.sent)} µs`, target: '', verdict: '' },
    { figure: `${backend}accept phase: peak RSS ${Object.keys(s.peakMb).join(' / ')}`, value: `${Object.values(s.peakMb).join(' / ')} MB`, target: `<= ${MEMORY_LIMIT_MB} MB`, verdict: verdict(underLimit(s.peakMb)) },
    { figure: `${backend}accept phase: sent / lost / duplicated`, value: `${int(s.sent)} / ${lostText(s.lost, s.unfinished)} / ${s.duplicated}`, target: `${int(s.messages)} / 0 / 0`, verdict: verdict(s.completed && s.lost === 0 && s.duplicated === 0) },
  ];
}

function rows(r: BenchReport): Row[] {
  const out: Row[] = [];
  const M = 'MongoDB + RabbitMQ: ';
  if (r.raw) {
    out.push(
      { figure: `${M}raw broker: publish (confirms) + consume (acks)`, value: `${int(r.raw.endToEndPerS)} msg/s`, target: 'reference', verdict: '' },
      { figure: `${M}raw broker: CPU per message ${Object.keys(r.raw.cpu).join(' / ')}`, value: `${perMessage(r.raw.cpu, r.raw.messages)} µs`, target: '', verdict: '' },
    );
  }
  if (r.bare) {
    out.push(
      { figure: `${M}bare pipeline: broker + one HTTP POST per message (no store)`, value: `${int(r.bare.endToEndPerS)} msg/s`, target: 'reference', verdict: '' },
      { figure: `${M}bare pipeline: CPU per message ${Object.keys(r.bare.cpu).join(' / ')}`, value: `${perMessage(r.bare.cpu, r.bare.messages)} µs`, target: '', verdict: '' },
      { figure: `${M}bare pipeline: sent / lost / duplicated`, value: `${int(r.bare.messages)} / ${r.bare.messages - r.bare.distinct} / ${r.bare.received - r.bare.distinct}`, target: '0 lost, 0 duplicated', verdict: verdict(r.bare.distinct === r.bare.messages && r.bare.received === r.bare.distinct) },
    );
  }
  r.fanouts.forEach((f, i) => {
    out.push(...fanoutRows(f, M, r.bare?.endToEndPerS, r.raw?.endToEndPerS));
    // The SMS worker's own CPU per message: the big run only (the comparisons show what a provider's SDK adds).
    if (i === 0) {
      const w = µs(f.cpu.worker, f.sent);
      out.push({ figure: `${M}SMS worker CPU per message (fan-out ${int(f.subscribers)})`, value: `${int(w)} µs`, target: '<= 150 µs', verdict: verdict(f.sent > 0 && w <= 150) });
    }
  });
  if (r.stream) out.push(...streamRows(r.stream, M));
  const e = r.embedded;
  if (e) {
    const E = 'embedded (SQLite + embedded queue, one process): ';
    out.push(
      { figure: `${E}bare pipeline: embedded queue + one HTTP POST per message (no store)`, value: `${int(e.bare.endToEndPerS)} msg/s`, target: 'reference', verdict: '' },
      { figure: `${E}bare pipeline: CPU per message bench`, value: `${perMessage(e.bare.cpu, e.bare.messages)} µs`, target: '', verdict: '' },
      { figure: `${E}bare pipeline: sent / lost / duplicated`, value: `${int(e.bare.messages)} / ${e.bare.messages - e.bare.distinct} / ${e.bare.received - e.bare.distinct}`, target: '0 lost, 0 duplicated', verdict: verdict(e.bare.distinct === e.bare.messages && e.bare.received === e.bare.distinct) },
    );
    if (e.fanout) out.push(...fanoutRows(e.fanout, E, e.bare.endToEndPerS));
    if (e.stream) out.push(...streamRows(e.stream, E));
  }
  for (const m of r.metering ?? []) out.push(...meteringRows(m));
  for (const u of r.usage ?? []) out.push(...usageRows(u));
  if (r.campaigns) out.push(...campaignRows(r.campaigns));
  if (r.sheets) out.push(...sheetsRows(r.sheets));
  return out;
}

/** Every phase that lost or duplicated a message (or did not finish): the bench fails on any. */
export function deliveryFailures(r: BenchReport): string[] {
  const out: string[] = [];
  const check = (name: string, t: { lost: number | undefined; duplicated: number; completed: boolean; unfinished: number }) => {
    if (!t.completed) out.push(`${name}: did not finish (${t.unfinished} unsent at the time limit)`);
    else if (t.lost !== 0) out.push(`${name}: ${t.lost} lost`);
    if (t.duplicated !== 0) out.push(`${name}: ${t.duplicated} duplicated`);
  };
  for (const f of r.fanouts) check(`fan-out ${f.subscribers} -> ${f.sink} (MongoDB + RabbitMQ)`, f);
  if (r.stream) check('accept stream (MongoDB + RabbitMQ)', r.stream);
  if (r.embedded?.fanout) check(`fan-out ${r.embedded.fanout.subscribers} -> ${r.embedded.fanout.sink} (embedded)`, r.embedded.fanout);
  if (r.embedded?.stream) check('accept stream (embedded)', r.embedded.stream);
  for (const m of r.metering ?? []) {
    m.offRuns.forEach((f, i) => check(`metering (${m.backend}), unmetered run ${i + 1}`, f));
    m.onRuns.forEach((f, i) => check(`metering (${m.backend}), metered run ${i + 1}`, f));
  }
  if (r.campaigns) check(`campaign run ${r.campaigns.run.messages} -> ${r.campaigns.run.sink}`, r.campaigns.run);
  for (const f of r.failedPhases ?? []) out.push(`phase failed: ${f}`);
  if (r.sheets && (r.sheets.lost !== 0 || r.sheets.duplicated !== 0)) out.push(`Google Sheets export: ${r.sheets.lost} lost, ${r.sheets.duplicated} duplicated`);
  return out;
}

function meteringRows(m: MeteringResult): Row[] {
  const tag = `metering (${m.backend === 'mongo' ? 'MongoDB + RabbitMQ' : 'embedded'}), fan-out ${int(m.subscribers)} -> ${m.sink}`;
  const rows: Row[] = [
    { figure: `${tag}: delivered end to end, unmetered / metered (median of ${m.rounds})`, value: `${int(m.off.deliveredPerS)} / ${int(m.on.deliveredPerS)} msg/s`, target: '', verdict: '' },
    {
      figure: `${tag}: metered time / unmetered time (median of ${m.rounds} each, ABBA; fastest of each)`,
      value: `${(1 + m.costPct / 100).toFixed(3)} (${pct(m.costPct)}); fastest ${pct(m.fastestCostPct)}`,
      target: '< 1.10',
      verdict: verdict(m.costPct < 10),
    },
    {
      figure: `${tag}: Herald CPU a message (${m.backend === 'mongo' ? 'server + worker' : 'herald all'}), unmetered / metered (median)`,
      value: `${int(medianOf(m.offRuns.map(heraldCpuPerMessage)) * 1e6)} / ${int(medianOf(m.onRuns.map(heraldCpuPerMessage)) * 1e6)} µs (${pct(m.cpuCostPct)})`,
      target: '< +10 %',
      verdict: verdict(m.cpuCostPct < 10),
    },
  ];
  if (m.storeCpuUs) {
    rows.push({ figure: `${tag}: Mongo server CPU a message, unmetered / metered (median)`, value: `${int(m.storeCpuUs.off)} / ${int(m.storeCpuUs.on)} µs (${pct(((m.storeCpuUs.on - m.storeCpuUs.off) / Math.max(1, m.storeCpuUs.off)) * 100)})`, target: '', verdict: '' });
    rows.push({ figure: `${tag}: CPU a message of Herald + Mongo server + broker, metered over unmetered (median)`, value: pct(m.machineCpuCostPct), target: '< +10 %', verdict: verdict(m.machineCpuCostPct < 10) });
  }
  rows.push({ figure: `${tag}: credits charged (0.1 a segment)`, value: String(m.charged), target: String(m.on.sent / 10), verdict: verdict(m.charged === m.on.sent / 10) });
  return rows;
}

export function renderTable(r: BenchReport): string {
  const t = new Table({ head: ['figure', 'value', 'target', ''], style: { head: [], border: [] } });
  for (const row of rows(r)) t.push([row.figure, row.value, row.target, row.verdict]);
  return `${t.toString()}${non202(r).map((l) => `\n${l}`).join('')}`;
}

function non202(r: BenchReport): string[] {
  const out: string[] = (r.failedPhases ?? []).map((f) => `**Phase failed** (its figures are missing above): ${f}.`);
  for (const [name, st] of [['MongoDB + RabbitMQ', r.stream], ['embedded', r.embedded?.stream]] as const) {
    const errors = Object.entries(st?.herald.statuses ?? {}).filter(([k]) => k !== '202');
    if (errors.length) out.push(`Non-202 answers to the ${name} accept stream: \`${JSON.stringify(Object.fromEntries(errors))}\`.`);
  }
  return out;
}

function markdownTable(r: BenchReport): string {
  const lines = ['| figure | value | target | |', '|---|---|---|---|'];
  for (const row of rows(r)) lines.push(`| ${row.figure} | ${row.value} | ${row.target} | ${row.verdict ? `**${row.verdict}**` : ''} |`);
  return lines.join('\n');
}

/** docs/benchmarks.md: this run's figures around the fixed text in bench/benchmarks-notes.md. */
export function renderReport(r: BenchReport): string {
  const m = r.machine;
  const notes = fs.readFileSync(path.join(__dirname, 'benchmarks-notes.md'), 'utf8');
  const o = r.options;
  const head = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench`; edit bench/benchmarks-notes.md for the text below the figures. -->',
    '',
    `Run ${r.date.toISOString().slice(0, 16).replace('T', ' ')} UTC${o.quick ? ' with `--quick`' : ''}, ${r.durationS.toFixed(0)} s in all, on ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB memory (${m.os}, Node ${m.node}).`,
    `RabbitMQ and MongoDB from \`scripts/test-services.sh\` on the same machine. Herald's processes: \`herald server\` and \`herald worker sms\` on MongoDB + RabbitMQ,` +
      ` one \`herald all\` on the embedded default (SQLite store + embedded queue); worker.prefetch ${o.prefetch}, defaults otherwise (log level info, log lines also written to the store).`,
    '',
    markdownTable(r),
    '',
  ];
  for (const l of non202(r)) head.push(l, '');
  return `${head.join('\n')}\n${notes}`;
}
