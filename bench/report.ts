// The bench's figures as a console table and as docs/benchmarks.md, with the machine and the
// date, compared with the targets of issue 4.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';
import type { BenchOptions } from './index';
import type { BarePipelineResult } from './bare-pipeline';
import type { FanoutResult } from './fanout';
import type { RawBrokerResult } from './raw-broker';
import type { StreamResult } from './stream';
import { heraldCpuPerMessage, type MeteringResult } from './metering';
import type { UsageBenchResult } from './usage';
import type { CampaignBenchResult } from './campaigns';
import type { SheetsBenchResult } from './sheets';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
}

export interface BenchReport {
  options: BenchOptions;
  machine: Machine;
  date: Date;
  durationS: number;
  raw: RawBrokerResult;
  bare: BarePipelineResult;
  fanouts: FanoutResult[];
  stream: StreamResult;
  metering: MeteringResult;
  usage?: UsageBenchResult[];
  campaigns?: CampaignBenchResult;
  sheets?: SheetsBenchResult;
}

/** `--only campaigns`: the CSV import and the campaign run alone. */
export type CampaignsOnly = Pick<BenchReport, 'options' | 'machine' | 'date' | 'durationS'> & { campaigns: CampaignBenchResult };

/** `--only metering`: that phase alone. */
export type MeteringOnly = Pick<BenchReport, 'options' | 'machine' | 'date' | 'durationS' | 'metering'>;

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

function sheetsRows(x: SheetsBenchResult): Row[] {
  const tag = `Google Sheets export of ${int(x.events)} events (fake Sheets API, ${x.batchRows} rows a call)`;
  return [
    { figure: `${tag}: published to confirmed in the sheet`, value: `${int(x.rowsPerS)} rows/s (${x.seconds.toFixed(1)} s; publishing took ${x.publishS.toFixed(1)} s)`, target: '', verdict: '' },
    { figure: `${tag}: calls append / get / update / token`, value: `${x.calls.append} / ${x.calls.get} / ${x.calls.update} / ${x.calls.token}`, target: `>= ${Math.ceil(x.events / x.batchRows)} appends`, verdict: '' },
    { figure: `${tag}: rows in the sheet / lost / duplicated`, value: `${int(x.rowsInSheet)} / ${x.lost} / ${x.duplicated}`, target: `${int(x.events)} / 0 / 0`, verdict: verdict(x.lost === 0 && x.duplicated === 0) },
  ];
}

function rows(r: BenchReport): Row[] {
  const half = r.raw.endToEndPerS / 2;
  const out: Row[] = [
    { figure: 'raw broker: publish (confirms) + consume (acks)', value: `${int(r.raw.endToEndPerS)} msg/s`, target: 'reference', verdict: '' },
    { figure: `raw broker: CPU per message ${Object.keys(r.raw.cpu).join(' / ')}`, value: `${perMessage(r.raw.cpu, r.raw.messages)} µs`, target: '', verdict: '' },
    { figure: 'bare pipeline: broker + one HTTP POST per message (no store)', value: `${int(r.bare.endToEndPerS)} msg/s`, target: 'reference', verdict: '' },
    { figure: `bare pipeline: CPU per message ${Object.keys(r.bare.cpu).join(' / ')}`, value: `${perMessage(r.bare.cpu, r.bare.messages)} µs`, target: '', verdict: '' },
  ];
  for (const f of r.fanouts) {
    const tag = `fan-out ${int(f.subscribers)} -> ${f.sink}`;
    out.push(
      { figure: `${tag}: published to the sms queue`, value: `${int(f.fanoutPerS)} msg/s`, target: '', verdict: '' },
      {
        figure: `${tag}: delivered end to end`,
        value: `${int(f.deliveredPerS)} msg/s (${f.seconds.toFixed(1)} s)`,
        target: `>= ${int(half)} msg/s`,
        verdict: verdict(f.completed && f.deliveredPerS >= half),
      },
      { figure: `${tag}: ratio to the raw broker`, value: `${((f.deliveredPerS / r.raw.endToEndPerS) * 100).toFixed(1)} %`, target: '>= 50 %', verdict: '' },
      { figure: `${tag}: CPU per message ${Object.keys(f.cpu).join(' / ')}`, value: `${cpuPerMessage(f)} µs`, target: '', verdict: '' },
      { figure: `${tag}: peak RSS server / sms worker`, value: `${f.peakMb.server} / ${f.peakMb.sms} MB`, target: `<= ${MEMORY_LIMIT_MB} MB`, verdict: verdict(Math.max(f.peakMb.server, f.peakMb.sms) <= MEMORY_LIMIT_MB) },
      { figure: `${tag}: sent / lost / duplicated`, value: `${int(f.sent)} / ${lostText(f.lost, f.unfinished)} / ${f.duplicated}`, target: `${int(f.subscribers)} / 0 / 0`, verdict: verdict(f.lost === 0 && f.duplicated === 0) },
    );
  }
  const s = r.stream;
  const tag = `stream ${int(s.notifications)} x ${s.subscribers} -> ${s.sink}`;
  out.push(
    { figure: `${tag}: accepted (POST /v1/notifications)`, value: `${int(s.herald.perS)} /s`, target: '', verdict: '' },
    { figure: `${tag}: accept latency p50 / p99`, value: `${ms(s.herald.p50Ms)} / ${ms(s.herald.p99Ms)}`, target: '', verdict: '' },
    { figure: 'bare express 202, same load', value: `${int(s.bare.perS)} /s, p99 ${ms(s.bare.p99Ms)}`, target: 'reference', verdict: '' },
    { figure: `${tag}: accept rate / bare express`, value: `${((s.herald.perS / s.bare.perS) * 100).toFixed(1)} %`, target: '', verdict: '' },
    { figure: `${tag}: delivered end to end`, value: `${int(s.deliveredPerS)} msg/s`, target: '', verdict: '' },
    { figure: `${tag}: peak RSS server / sms worker`, value: `${s.peakMb.server} / ${s.peakMb.sms} MB`, target: `<= ${MEMORY_LIMIT_MB} MB`, verdict: verdict(Math.max(s.peakMb.server, s.peakMb.sms) <= MEMORY_LIMIT_MB) },
    { figure: `${tag}: sent / lost / duplicated`, value: `${int(s.sent)} / ${lostText(s.lost, s.unfinished)} / ${s.duplicated}`, target: `${int(s.messages)} / 0 / 0`, verdict: verdict(s.completed && s.lost === 0 && s.duplicated === 0) },
  );
  out.push(...meteringRows(r.metering));
  for (const u of r.usage ?? []) out.push(...usageRows(u));
  if (r.campaigns) out.push(...campaignRows(r.campaigns));
  if (r.sheets) out.push(...sheetsRows(r.sheets));
  return out;
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

export function renderCampaignTable(c: CampaignBenchResult): string {
  const t = new Table({ head: ['figure', 'value', 'target', ''], style: { head: [], border: [] } });
  for (const row of campaignRows(c)) t.push([row.figure, row.value, row.target, row.verdict]);
  return t.toString();
}

function meteringRows(m: MeteringResult): Row[] {
  const tag = `metering, fan-out ${int(m.subscribers)} -> ${m.sink}`;
  return [
    { figure: `${tag}: delivered end to end, unmetered / metered`, value: `${int(m.off.deliveredPerS)} / ${int(m.on.deliveredPerS)} msg/s`, target: '', verdict: '' },
    { figure: `${tag}: metered time / unmetered time (fastest of ${m.rounds})`, value: `${(m.on.seconds / Math.max(0.001, m.off.seconds)).toFixed(3)} (${pct(m.costPct)})`, target: '< 1.10', verdict: verdict(m.costPct < 10) },
    {
      figure: `${tag}: Herald CPU a message (server + worker), unmetered / metered`,
      value: `${int(heraldCpuPerMessage(m.off) * 1e6)} / ${int(heraldCpuPerMessage(m.on) * 1e6)} µs (${pct(m.cpuCostPct)})`,
      target: '< +10 %',
      verdict: verdict(m.cpuCostPct < 10),
    },
    { figure: `${tag}: credits charged (0.1 a segment)`, value: String(m.charged), target: String(m.on.sent / 10), verdict: verdict(m.charged === m.on.sent / 10) },
  ];
}

export function renderMeteringTable(m: MeteringResult): string {
  const t = new Table({ head: ['figure', 'value', 'target', ''], style: { head: [], border: [] } });
  for (const row of meteringRows(m)) t.push([row.figure, row.value, row.target, row.verdict]);
  return t.toString();
}

export function renderTable(r: BenchReport): string {
  const t = new Table({ head: ['figure', 'value', 'target', ''], style: { head: [], border: [] } });
  for (const row of rows(r)) t.push([row.figure, row.value, row.target, row.verdict]);
  const errors = Object.entries(r.stream.herald.statuses).filter(([k]) => k !== '202');
  const note = errors.length ? `\nnon-202 answers to the stream: ${JSON.stringify(Object.fromEntries(errors))}` : '';
  return `${t.toString()}${note}`;
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
    `RabbitMQ and MongoDB from \`scripts/test-services.sh\` on the same machine. Herald's processes: \`herald server\` and \`herald worker sms\`,` +
      ` worker.prefetch ${o.prefetch}, defaults otherwise (log level info, log lines also written to the store).`,
    '',
    markdownTable(r),
    '',
  ];
  const errors = Object.entries(r.stream.herald.statuses).filter(([k]) => k !== '202');
  if (errors.length) head.push(`Non-202 answers to the stream: \`${JSON.stringify(Object.fromEntries(errors))}\`.`, '');
  return `${head.join('\n')}\n${notes}`;
}
