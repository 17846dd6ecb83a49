// `herald import FILE.csv`: streams the file to POST /v1/imports (a progress bar on a terminal)
// and prints the report as tables; `herald send-scheduled`: runs the campaigns whose time has
// come now, through the named provider (older vendor names are aliases: nexmo, at).
import fs from 'node:fs';
import Table from 'cli-table3';
import type { ImportRecord, ImportReport } from '../domain/campaigns';
import { CliError, type ApiClient, type ClientOptions } from './client';

export interface ImportCommandOptions extends ClientOptions {
  dryRun?: boolean;
  provider?: string;
  skipErrors?: boolean;
  json?: boolean;
}

const REJECTED_SHOWN = 20;
const table = (head: string[]) => new Table({ head, style: { head: [], border: [] } });
const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

/** The file's chunks, drawing a bar on a terminal as they are read (= sent). */
async function* withProgress(file: string, size: number, out: NodeJS.WriteStream): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let drawn = -1;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 256 * 1024 })) {
    sent += (chunk as Buffer).length;
    const pct = size ? Math.floor((sent / size) * 100) : 100;
    if (out.isTTY && pct !== drawn) {
      drawn = pct;
      const bar = '#'.repeat(Math.floor(pct / 4)).padEnd(25, '.');
      out.write(`\r  uploading [${bar}] ${String(pct).padStart(3)}%  ${mb(sent)} of ${mb(size)}`);
    }
    yield chunk as Buffer;
  }
  if (out.isTTY) out.write('\r  checking and importing rows...'.padEnd(70) + '\r');
}

export function renderReport(r: ImportRecord): string {
  const rep: ImportReport = r.report;
  const summary = table(['import', r.id]);
  summary.push(
    ['status', `${r.status}${r.dryRun ? ' (dry run: nothing written)' : ''}`],
    ['rows read', rep.rowsRead], ['rows imported', rep.rowsImported], ['rows expired (not sent)', rep.rowsExpired],
    ['rows rejected', rep.rejectedTotal], ['campaigns created', rep.campaignsCreated], ['campaigns reused', rep.campaignsReused],
    ['contacts created', rep.contactsCreated], ['messages planned', rep.messagesPlanned], ['repeated numbers (one message each)', rep.duplicates],
    ['segments', rep.segments], ['credits', rep.credits],
  );
  let out = `${summary.toString()}\n`;
  if (rep.campaigns.length) {
    const t = table(['campaign', 'id', 'recipients', 'sends at']);
    for (const c of rep.campaigns) t.push([c.name, c.id ?? '-', c.recipients, c.sendAt ? new Date(c.sendAt).toISOString() : 'when run']);
    out += `${t.toString()}\n`;
  }
  if (rep.rejected.length) {
    const t = table(['line', 'column', 'reason']);
    for (const x of rep.rejected.slice(0, REJECTED_SHOWN)) t.push([x.line, x.column ?? '', x.reason]);
    out += `${t.toString()}\n`;
    if (rep.rejectedTotal > REJECTED_SHOWN) out += `... and ${rep.rejectedTotal - REJECTED_SHOWN} more rejected rows (herald import prints the first ${REJECTED_SHOWN}; GET /v1/imports/${r.id} lists up to 1000)\n`;
  }
  for (const w of rep.warnings) out += `warning: ${w}\n`;
  if (r.status === 'rejected') out += 'The file was rejected: nothing was imported. Fix the rows above, or import the good rows with --skip-errors.\n';
  return out;
}

export async function importCommand(api: ApiClient, file: string, o: ImportCommandOptions): Promise<number> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  const query = { dryRun: o.dryRun ? 'true' : undefined, onError: o.skipErrors ? 'skip' : undefined, provider: o.provider };
  const res = await api.upload<ImportRecord | { import: ImportRecord }>('/v1/imports', withProgress(file, size, process.stderr), 'text/csv', query);
  const record = 'import' in res.body ? res.body.import : res.body;
  process.stdout.write(o.json ? `${JSON.stringify(record, null, 2)}\n` : renderReport(record));
  return record.status === 'rejected' ? 1 : 0;
}

interface CampaignRow {
  id: string;
  name: string;
  recipients: number;
  status: string;
  provider?: string;
}

export async function sendScheduledCommand(api: ApiClient, o: ClientOptions & { provider?: string; json?: boolean }): Promise<number> {
  const due: CampaignRow[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await api.get<{ items: CampaignRow[]; total: number }>('/v1/campaigns', { status: 'scheduled', due: 'true', limit: 500, offset });
    due.push(...page.items);
    if (page.items.length === 0 || offset + page.items.length >= page.total) break;
  }
  if (due.length === 0) {
    process.stdout.write('nothing is due\n');
    return 0;
  }
  const started: CampaignRow[] = [];
  for (const c of due) started.push(await api.post<CampaignRow>(`/v1/campaigns/${encodeURIComponent(c.id)}/run`, o.provider ? { provider: o.provider } : {}));
  if (o.json) process.stdout.write(`${JSON.stringify(started, null, 2)}\n`);
  else {
    const t = table(['campaign', 'id', 'recipients', 'status', 'provider']);
    for (const c of started) t.push([c.name, c.id, c.recipients, c.status, c.provider ?? '(routing)']);
    process.stdout.write(`${t.toString()}\n`);
  }
  return 0;
}
