// The one HTTP client of the `herald` commands that talk to a running Herald (status, logs,
// outbox, send; later keys, usage): base URL and API key from --url/--key or HERALD_URL/HERALD_KEY,
// the server's JSON error message as the command's one-line error, a hint when nothing answers.
import type { Command } from 'commander';
import { loadConfig } from '../config';

/** An error the command prints as one line (`herald: <message>`) before exiting non-zero. */
export class CliError extends Error {}

export interface ClientOptions {
  url?: string;
  key?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

interface ErrorBody {
  error?: { code?: string; message?: string; issues?: Array<{ field: string; reason: string }> };
}

export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body: unknown, query?: Query): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /**
   * Streams a body (a file) with its Content-Type; answers status and parsed JSON whatever the
   * status (the caller decides what a 4xx means), so a rejected import can still show its report.
   */
  upload<T>(path: string, body: AsyncIterable<Uint8Array>, contentType: string, query?: Query, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
}

/** Adds --url and --key to a client command. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the Herald to talk to (HERALD_URL; default http://127.0.0.1:8080)')
    .option('--key <key>', 'API key sent as Authorization: Bearer (HERALD_KEY)');
}

function errorLine(status: number, statusText: string, text: string): string {
  let body: ErrorBody | undefined;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not JSON: a proxy's page, say
  }
  const e = body?.error;
  if (!e?.message) return `HTTP ${status} ${statusText}`.trim();
  // A validation error's message is generic: the issues name the fields.
  const issues = (e.issues ?? []).map((i) => `${i.field} ${i.reason}`).join('; ');
  return issues && (e.code === 'VALIDATION_FAILED' || e.code === 'UNPROCESSABLE') ? `${e.message}: ${issues}` : e.message;
}

function unreachable(baseUrl: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (cause?.code ?? cause?.message ?? (err as Error).message);
  return new CliError(`cannot reach Herald at ${baseUrl} (${why}); is it running? Start one with \`herald all\`, or point --url / HERALD_URL at it`);
}

export function createApiClient(opts: ClientOptions = {}): ApiClient {
  const config = opts.url && opts.key ? undefined : loadConfig().cli;
  const baseUrl = (opts.url ?? config?.url ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const key = opts.key ?? config?.key;
  if (!/^https?:\/\//.test(baseUrl)) throw new CliError(`--url must be an http:// or https:// URL (got '${baseUrl}')`);

  async function request<T>(method: string, path: string, query: Query = {}, body?: unknown): Promise<T> {
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      throw unreachable(baseUrl, e);
    }
    const text = await res.text();
    if (!res.ok) throw new CliError(errorLine(res.status, res.statusText, text));
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function upload<T>(path: string, body: AsyncIterable<Uint8Array>, contentType: string, query: Query = {}, extra: Record<string, string> = {}) {
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': contentType, ...extra };
    if (key) headers.authorization = `Bearer ${key}`;
    let res: Response;
    try {
      // A stream body: Node's fetch needs duplex 'half' (not in the DOM RequestInit type).
      res = await fetch(url, { method: 'POST', headers, body: body as unknown as RequestInit['body'], duplex: 'half' } as RequestInit);
    } catch (e) {
      throw unreachable(baseUrl, e);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError(errorLine(res.status, res.statusText, text));
    }
    if (!res.ok && !(parsed as { import?: unknown } | undefined)?.import) throw new CliError(errorLine(res.status, res.statusText, text));
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  return {
    baseUrl,
    upload,
    get: (path, query) => request('GET', path, query),
    post: (path, body, query) => request('POST', path, query, body),
    delete: (path) => request('DELETE', path),
  };
}
