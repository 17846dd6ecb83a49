// The three Sheets v4 calls the exporter makes (values.get, values.update, values.append),
// through googleapis with a service-account JWT, and their failures sorted into "try again"
// (429, 5xx, timeouts, network) and "stop and tell the operator" (403, 404, a refused key).
import fs from 'node:fs';
import type { sheets_v4 } from 'googleapis';
import type { Cell } from '../../domain/sheets';
import { retryAfterFrom } from '../../domain/retry';
import { googleapis, serviceAccountJwt, GOOGLE_TOKEN_URL } from '../../providers/google-auth';

export const SHEETS_SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

/** Codes a target is paused with (permanent), or a transient one (TRANSIENT). */
export type SheetsErrorCode = 'SHEET_NOT_FOUND' | 'PERMISSION_DENIED' | 'AUTH' | 'KEY_FILE' | 'BAD_REQUEST' | 'TRANSIENT';

export class SheetsError extends Error {
  constructor(
    readonly code: SheetsErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SheetsError';
  }
  get permanent(): boolean {
    return this.code !== 'TRANSIENT';
  }
}

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: string;
}

/** A service-account key file is about 2.4 KB. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** Reads a service-account key file (the JSON Google's console downloads); SheetsError KEY_FILE saying what is wrong. */
export function readServiceAccountKey(file: string): ServiceAccountKey {
  let text: string;
  let fd: number | undefined;
  try {
    // Non-blocking open and a regular file of bounded size: a FIFO, /dev/zero or a huge file must not hang or exhaust the process.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new SheetsError('KEY_FILE', `the key file ${file} is not a regular file`);
    if (stat.size > MAX_KEY_FILE_BYTES) throw new SheetsError('KEY_FILE', `the key file ${file} is larger than ${MAX_KEY_FILE_BYTES} bytes: not a service-account key`);
    text = fs.readFileSync(fd, 'utf8');
  } catch (e) {
    if (e instanceof SheetsError) throw e;
    throw new SheetsError('KEY_FILE', `cannot read the key file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  let json: { type?: unknown; client_email?: unknown; private_key?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new SheetsError('KEY_FILE', `the key file ${file} is not JSON`);
  }
  if (typeof json.client_email !== 'string' || !json.client_email.includes('@')) throw new SheetsError('KEY_FILE', `the key file ${file} has no client_email`);
  if (typeof json.private_key !== 'string' || !json.private_key.includes('PRIVATE KEY')) throw new SheetsError('KEY_FILE', `the key file ${file} has no private_key`);
  if (json.type !== undefined && json.type !== 'service_account') throw new SheetsError('KEY_FILE', `the key file ${file} is a ${String(json.type)} key, not a service_account key`);
  return { clientEmail: json.client_email, privateKey: json.private_key };
}

export interface SheetsApi {
  readonly clientEmail: string;
  /** Rows of the range (trailing empty rows and cells are not returned, as Google does). */
  get(spreadsheetId: string, range: string): Promise<Cell[][]>;
  update(spreadsheetId: string, range: string, values: Cell[][]): Promise<void>;
  /** Appends after the sheet's last row; resolves the range Google wrote. */
  append(spreadsheetId: string, range: string, values: Cell[][]): Promise<{ updatedRange?: string; updatedRows: number }>;
  /** Calls made so far (token exchanges not counted). */
  calls(): number;
}

export interface SheetsApiOptions {
  key: ServiceAccountKey;
  /** Root of the APIs and of the token endpoint (<root>/token); default Google's. */
  apiRoot?: string;
  timeoutMs: number;
}

export function createSheetsApi(opts: SheetsApiOptions): SheetsApi {
  const root = opts.apiRoot ? opts.apiRoot.replace(/\/+$/, '') : undefined;
  const auth = serviceAccountJwt({
    clientEmail: opts.key.clientEmail,
    privateKey: opts.key.privateKey,
    scopes: [SHEETS_SCOPE],
    tokenUrl: root ? `${root}/token` : GOOGLE_TOKEN_URL,
    timeoutMs: opts.timeoutMs,
  });
  const sheets: sheets_v4.Sheets = googleapis().google.sheets({ version: 'v4', auth, ...(root ? { rootUrl: `${root}/` } : {}) });
  // No retries inside the SDK: the exporter owns retries, backoff and the read-back after an unknown outcome.
  const call = { retry: false, timeout: opts.timeoutMs, fetchImplementation: fetch } as const;
  let calls = 0;
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    calls++;
    try {
      return await fn();
    } catch (e) {
      const res = (e as GaxiosLike).response;
      // The API (not the token endpoint) refused the cached token (revoked, rotated): drop it, get a new one, try once more.
      if (res?.status !== 401 || typeof (res.data as { error?: unknown } | undefined)?.error === 'string') throw toSheetsError(e);
      auth.setCredentials({});
      calls++;
      try {
        return await fn();
      } catch (again) {
        throw toSheetsError(again);
      }
    }
  };
  return {
    clientEmail: opts.key.clientEmail,
    async get(spreadsheetId, range) {
      const res = await run(() => sheets.spreadsheets.values.get({ spreadsheetId, range, valueRenderOption: 'UNFORMATTED_VALUE' }, call));
      return (res.data.values ?? []) as Cell[][];
    },
    async update(spreadsheetId, range, values) {
      await run(() => sheets.spreadsheets.values.update({ spreadsheetId, range, valueInputOption: 'RAW', requestBody: { range, majorDimension: 'ROWS', values } }, call));
    },
    async append(spreadsheetId, range, values) {
      const res = await run(() =>
        sheets.spreadsheets.values.append(
          { spreadsheetId, range, valueInputOption: 'RAW', insertDataOption: 'INSERT_ROWS', requestBody: { majorDimension: 'ROWS', values } },
          call,
        ),
      );
      return { updatedRange: res.data.updates?.updatedRange ?? undefined, updatedRows: res.data.updates?.updatedRows ?? 0 };
    },
    calls: () => calls,
  };
}

interface GaxiosLike {
  status?: number;
  message?: string;
  response?: { status?: number; data?: unknown; headers?: unknown };
  cause?: unknown;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const v = (headers as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** Google's `{error: {code, message, status}}`, or the token endpoint's `{error: 'invalid_grant', error_description}`. */
function googleMessage(data: unknown, fallback: string): { text: string; oauth?: string; status?: string } {
  const body = (data ?? {}) as { error?: string | { message?: string; status?: string }; error_description?: string };
  if (typeof body.error === 'string') return { text: `${body.error}${body.error_description ? ` (${body.error_description})` : ''}`, oauth: body.error };
  if (body.error) return { text: body.error.message ?? fallback, status: body.error.status };
  return { text: typeof data === 'string' && data ? data.slice(0, 200) : fallback };
}

const RATE_STATUS = /RESOURCE_EXHAUSTED|rateLimitExceeded|quota/i;

export function toSheetsError(e: unknown): SheetsError {
  if (e instanceof SheetsError) return e;
  const err = (e ?? {}) as GaxiosLike;
  const status = err.response?.status ?? err.status;
  if (typeof status !== 'number' || status <= 0) return new SheetsError('TRANSIENT', `Google could not be reached: ${err.message ?? String(e)}`);
  const { text, oauth, status: gStatus } = googleMessage(err.response?.data, err.message ?? `HTTP ${status}`);
  const wait = retryAfterFrom(header(err.response?.headers, 'retry-after'));
  if (oauth && status < 500 && status !== 429) return new SheetsError('AUTH', `Google refused the service-account key: ${text}`);
  if (status === 429 || status >= 500 || (status === 403 && RATE_STATUS.test(`${gStatus ?? ''} ${text}`))) {
    return new SheetsError('TRANSIENT', `Google answered HTTP ${status}: ${text}`, wait);
  }
  if (status === 404) return new SheetsError('SHEET_NOT_FOUND', `the spreadsheet was not found (deleted, or a wrong id): ${text}`);
  if (status === 403) return new SheetsError('PERMISSION_DENIED', `the service account may not edit the spreadsheet (share it with the service account's e-mail as an editor): ${text}`);
  if (status === 401) return new SheetsError('AUTH', `Google refused the access token: ${text}`);
  if (status === 400 && /parse range/i.test(text)) return new SheetsError('SHEET_NOT_FOUND', `the sheet (tab) was not found in the spreadsheet: ${text}`);
  if (status === 408) return new SheetsError('TRANSIENT', `Google answered HTTP 408: ${text}`, wait);
  return new SheetsError('BAD_REQUEST', `Google answered HTTP ${status}: ${text}`);
}
