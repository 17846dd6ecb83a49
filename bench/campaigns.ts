// Campaigns: a big CSV imported through POST /v1/imports into the embedded store (rows per second,
// the server's peak RSS: a 1,000,000-row file must stay under 512 MB), and a campaign run end to
// end on MongoDB + RabbitMQ (POST .../run to the last SMS at the fake provider: messages per second).
import fs from 'node:fs';
import path from 'node:path';
import { writeBigCsv } from '../test/support/csv-fixtures';
import { startPair, tally, waitUntil, type BenchContext, type DeliveryTally } from './context';
import { freePort, startHeraldChild } from './processes';
import { startSink, type SinkKind } from './sinks';

export interface ImportBenchResult {
  rows: number;
  seconds: number;
  rowsPerS: number;
  peakMb: number;
  messagesPlanned: number;
}

export interface CampaignRunResult extends DeliveryTally {
  sink: SinkKind;
  messages: number;
  seconds: number;
  deliveredPerS: number;
}

export interface CampaignBenchResult {
  import: ImportBenchResult;
  run: CampaignRunResult;
}

async function postCsv(url: string, file: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/v1/imports`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: fs.createReadStream(file, { highWaterMark: 1 << 20 }) as unknown as RequestInit['body'],
    duplex: 'half',
    signal: AbortSignal.timeout(30 * 60_000),
  } as RequestInit);
  return { status: res.status, body: await res.json() };
}

/** The import alone, on the embedded store (a `herald server` with no MongoDB or RabbitMQ): campaigns wait for tomorrow. */
export async function importBench(dir: string, rows: number, say: (s: string) => void): Promise<ImportBenchResult> {
  const file = path.join(dir, `import-${rows}.csv`);
  await writeBigCsv(file, rows, 10, 'tomorrow');
  say(`  file: ${(fs.statSync(file).size / 1_048_576).toFixed(0)} MB`);
  const port = await freePort();
  const dataDir = path.join(dir, 'import-server');
  fs.mkdirSync(dataDir, { recursive: true });
  const server = await startHeraldChild(dir, 'import-server', 'server', { host: '127.0.0.1', seedDemoData: 'never', dispatchPort: port, dataDir, 'campaigns.autoStart': false });
  try {
    const sampler = setInterval(() => server.peakRssMb(), 250);
    const t0 = Date.now();
    const res = await postCsv(`http://127.0.0.1:${port}`, file);
    const seconds = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    if (res.status !== 201) throw new Error(`import answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    return { rows, seconds, rowsPerS: rows / seconds, peakMb: server.peakRssMb(), messagesPlanned: res.body.report.messagesPlanned };
  } finally {
    await server.stop();
    fs.rmSync(file, { force: true });
  }
}

/** One campaign of `messages` recipients (imported, then run) through the server and an SMS worker to the sink. */
export async function campaignRunBench(ctx: BenchContext, messages: number, kind: SinkKind, timeoutMs: number): Promise<CampaignRunResult> {
  const smsDir = path.join(ctx.dir, `campaign-${kind}-sms`);
  const sink = await startSink(kind, smsDir);
  const pair = await startPair(ctx, sink, `campaign-${kind}`, smsDir);
  try {
    const file = path.join(ctx.dir, `campaign-${messages}.csv`);
    // One campaign, every row a distinct number (the file's every-50th repeat goes to another campaign name here: 1 campaign).
    await writeBigCsv(file, messages, 1, 'tomorrow');
    const imported = await postCsv(pair.url, file);
    if (imported.status !== 201) throw new Error(`import answered ${imported.status}`);
    const planned = imported.body.report.messagesPlanned as number;
    const id = imported.body.report.campaigns[0].id as string;
    const t0 = Date.now();
    const run = await fetch(`${pair.url}/v1/campaigns/${id}/run`, { method: 'POST' });
    if (run.status !== 200) throw new Error(`run answered ${run.status}`);
    const reached = await waitUntil(() => sink.distinct() >= planned, timeoutMs, () => pair.sample());
    const seconds = (Date.now() - t0) / 1000;
    const peakMb = await pair.stop();
    return { ...tally(planned, Math.min(planned, sink.distinct()), sink, reached, peakMb), sink: kind, messages: planned, seconds, deliveredPerS: sink.distinct() / seconds };
  } finally {
    await pair.stop().catch(() => undefined);
    await sink.close();
  }
}
