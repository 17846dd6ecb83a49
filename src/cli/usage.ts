// `herald usage`: a client of GET /v1/usage (or a program's or user's usage) that fetches every
// page and prints a table, or writes CSV.
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { CliError, type ApiClient, type ClientOptions } from './client';

export interface UsageOptions extends ClientOptions {
  start: string;
  end: string;
  every: string;
  tz?: string;
  channel?: string;
  provider?: string;
  program?: string;
  user?: string;
  csv?: boolean;
}

type Bucket = Record<string, string | number>;
const COLUMNS = ['start', 'messages', 'pending', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled', 'rejected', 'segments', 'creditsCharged', 'creditsRefunded'];
/** The API's largest page: fewest round trips. */
const PAGE_SIZE = 1000;

function usagePath(o: UsageOptions): string {
  if (o.program && o.user) throw new CliError('give --program or --user, not both');
  if (o.program) return `/v1/programs/${encodeURIComponent(o.program)}/usage`;
  if (o.user) return `/v1/users/${encodeURIComponent(o.user)}/usage`;
  return '/v1/usage';
}

/** Every bucket, page after page. */
export async function fetchUsage(api: ApiClient, o: UsageOptions): Promise<Bucket[]> {
  const out: Bucket[] = [];
  for (let page = 1; ; page++) {
    const body = await api.get<{ items: Bucket[]; total: number }>(usagePath(o), {
      start: o.start, end: o.end, every: o.every, tz: o.tz, channel: o.channel, provider: o.provider, page, size: PAGE_SIZE,
    });
    out.push(...body.items);
    if (body.items.length === 0 || out.length >= body.total) return out;
  }
}

export function renderUsage(buckets: Bucket[], csv: boolean): string {
  const rows = buckets.map((b) => COLUMNS.map((c) => b[c] ?? 0));
  if (csv) return stringify([COLUMNS, ...rows]);
  const table = new Table({ head: COLUMNS, style: { head: [], border: [] } });
  table.push(...rows);
  return `${table.toString()}\n`;
}

export async function usageCommand(api: ApiClient, o: UsageOptions): Promise<void> {
  process.stdout.write(renderUsage(await fetchUsage(api, o), Boolean(o.csv)));
}
