// A local stand-in for Google's OAuth token endpoint and the Sheets v4 values API, so the
// Sheets export runs the real googleapis SDK over real HTTP. Point HERALD_GOOGLE_API_ROOT
// (config sheets.googleApiRoot) at `fake.url`: the API is <root>/v4/..., the token endpoint <root>/token.
//
// - POST /token, grant_type=jwt-bearer: the RS256 assertion must verify against a service
//   account's public key (makeServiceAccountKey registers one) and ask for the spreadsheets
//   scope; else 400 invalid_grant / invalid_scope.
// - GET /v4/spreadsheets/:id/values/:range, PUT (values.update, RAW) and POST :append
//   (INSERT_ROWS after the sheet's last non-empty row): Bearer token of the fake, else 401; an
//   unknown spreadsheet 404 NOT_FOUND; a spreadsheet not shared with the token's account 403
//   PERMISSION_DENIED; an unknown tab 400 "Unable to parse range".
// failNext(n, fault) (fake-http-server.ts) applies to API calls only, not to the token endpoint:
// 429 (Retry-After: 1), 500/503, 'reset', or 'timeout' (the append is applied, the answer never comes).
import { createPublicKey, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startFakeServer, type FakeAnswer, type FakeServer } from './fake-http-server';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SCOPE = 'https://www.googleapis.com/auth/spreadsheets';

export type FakeCell = string | number | boolean;

export interface FakeSheetsCall {
  kind: 'get' | 'update' | 'append';
  spreadsheetId: string;
  range: string;
  rows: number;
}

export interface FakeSheets extends FakeServer {
  /** The API root (HERALD_GOOGLE_API_ROOT). */
  root: string;
  calls: FakeSheetsCall[];
  /** Successful token exchanges, by service account. */
  tokens: string[];
  addServiceAccount(clientEmail: string, publicKeyPem: string): void;
  /** A spreadsheet with these tabs, shared (as editor) with these accounts. */
  createSpreadsheet(id: string, tabs: string[], sharedWith: string[]): void;
  share(id: string, clientEmail: string): void;
  unshare(id: string, clientEmail: string): void;
  deleteSpreadsheet(id: string): void;
  /** Runs after an append is applied and before it is answered (a test may kill the caller here). */
  beforeAppendAnswer?: (call: FakeSheetsCall) => Promise<void> | void;
  /** failNext faults only values.append calls (true) or every API call (false, the default). */
  faultAppendsOnly(on: boolean): void;
  /** Writes a row as a person editing the sheet would (0-based row). */
  setRow(id: string, tab: string, row: number, cells: FakeCell[]): void;
  /** The tab's cells, row by row (trailing empty cells trimmed). */
  rows(id: string, tab: string): FakeCell[][];
}

export interface ServiceAccountKeyFile {
  file: string;
  clientEmail: string;
  publicKeyPem: string;
}

/** A real RSA service-account key file, as Google's console gives one, registered with the fake if given. */
export function makeServiceAccountKey(dir: string, name: string, fake?: FakeSheets): ServiceAccountKeyFile {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `${name}@herald-test.iam.gserviceaccount.com`;
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const file = path.join(dir, `${name}.json`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify({
      type: 'service_account', project_id: 'herald-test', private_key_id: randomBytes(8).toString('hex'), private_key: privateKeyPem,
      client_email: clientEmail, client_id: '1234567890', token_uri: 'https://oauth2.googleapis.com/token',
    }),
  );
  fake?.addServiceAccount(clientEmail, publicKeyPem);
  return { file, clientEmail, publicKeyPem };
}

function googleError(status: number, gStatus: string, message: string): FakeAnswer {
  return { status, body: { error: { code: status, message, status: gStatus } } };
}

function colIndex(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

function colLetters(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

interface A1 {
  tab: string;
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/** `'Tab'!A2:C`, `Tab!1:1`, `Tab!A1`, `Tab`: 0-based inclusive bounds (Infinity: open). */
function parseA1(range: string): A1 | undefined {
  const m = /^(?:'((?:[^']|'')+)'|([^!']+))(?:!(.*))?$/.exec(range);
  if (!m) return undefined;
  const tab = m[1] !== undefined ? m[1].replace(/''/g, "'") : m[2];
  const cells = m[3] ?? '';
  if (cells === '') return { tab, r0: 0, r1: Infinity, c0: 0, c1: Infinity };
  const c = /^([A-Z]*)(\d*)(?::([A-Z]*)(\d*))?$/.exec(cells);
  if (!c) return undefined;
  const [, sc, sr, ec, er] = c;
  const hasEnd = cells.includes(':');
  const c0 = sc ? colIndex(sc) : 0;
  const r0 = sr ? Number(sr) - 1 : 0;
  const c1 = hasEnd ? (ec ? colIndex(ec) : Infinity) : sc ? c0 : Infinity;
  const r1 = hasEnd ? (er ? Number(er) - 1 : Infinity) : sr ? r0 : Infinity;
  return { tab, r0, r1, c0, c1 };
}

const quoted = (tab: string) => `'${tab.replace(/'/g, "''")}'`;

function trimRow(row: FakeCell[]): FakeCell[] {
  const out = [...row];
  while (out.length && (out[out.length - 1] === '' || out[out.length - 1] === undefined)) out.pop();
  return out;
}

export async function startFakeSheets(): Promise<FakeSheets> {
  const keys = new Map<string, KeyObject>();
  const issued = new Map<string, string>();
  const books = new Map<string, { tabs: Map<string, FakeCell[][]>; shared: Set<string> }>();
  const calls: FakeSheetsCall[] = [];
  const tokens: string[] = [];
  let faultAppendsOnly = false;

  const token = (form: Record<string, string>): FakeAnswer => {
    if (form.grant_type !== JWT_BEARER) return { status: 400, body: { error: 'unsupported_grant_type' } };
    const [h, p, sig] = (form.assertion ?? '').split('.');
    const claims = p ? (JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: string; scope?: string; exp?: number }) : {};
    const key = claims.iss ? keys.get(claims.iss) : undefined;
    const ok = !!key && !!sig && createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(sig, 'base64url')) && (claims.exp ?? 0) * 1000 > Date.now();
    if (!ok) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    if (!claims.scope?.split(' ').includes(SCOPE)) return { status: 400, body: { error: 'invalid_scope' } };
    const access = `ya29.${randomBytes(16).toString('hex')}`;
    issued.set(access, claims.iss!);
    tokens.push(claims.iss!);
    return { status: 200, body: { access_token: access, expires_in: 3599, token_type: 'Bearer' } };
  };

  const server = await startFakeServer(
    (x) => {
      if (x.method === 'POST' && x.path === '/token') return token(x.form);
      const m = /^\/v4\/spreadsheets\/([^/]+)\/values\/([^/]+?)(:append)?$/.exec(x.path);
      if (!m) return googleError(404, 'NOT_FOUND', 'Not Found');
      const spreadsheetId = decodeURIComponent(m[1]);
      const range = decodeURIComponent(m[2]);
      const append = m[3] !== undefined;
      const account = issued.get(String(x.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!account) return googleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
      const book = books.get(spreadsheetId);
      if (!book) return googleError(404, 'NOT_FOUND', 'Requested entity was not found.');
      if (!book.shared.has(account)) return googleError(403, 'PERMISSION_DENIED', 'The caller does not have permission');
      const a1 = parseA1(range);
      const tab = a1 ? book.tabs.get(a1.tab) : undefined;
      if (!a1 || !tab) return googleError(400, 'INVALID_ARGUMENT', `Unable to parse range: ${range}`);
      const body = (x.json ?? {}) as { values?: FakeCell[][] };
      if (x.method === 'GET' && !append) {
        const rows: FakeCell[][] = [];
        for (let r = a1.r0; r <= Math.min(a1.r1, tab.length - 1); r++) rows.push(trimRow((tab[r] ?? []).slice(a1.c0, a1.c1 === Infinity ? undefined : a1.c1 + 1)));
        while (rows.length && rows[rows.length - 1].length === 0) rows.pop();
        calls.push({ kind: 'get', spreadsheetId, range, rows: rows.length });
        return { status: 200, body: { range, majorDimension: 'ROWS', ...(rows.length ? { values: rows } : {}) } };
      }
      const values = body.values ?? [];
      if (x.query.valueInputOption !== 'RAW' && x.query.valueInputOption !== 'USER_ENTERED') return googleError(400, 'INVALID_ARGUMENT', "'valueInputOption' is required");
      let start = a1.r0;
      if (append) {
        start = tab.length;
        while (start > 0 && trimRow(tab[start - 1] ?? []).length === 0) start--;
      } else if (x.method !== 'PUT') return googleError(404, 'NOT_FOUND', 'Not Found');
      values.forEach((row, i) => {
        const target = tab[start + i] ?? [];
        row.forEach((v, j) => (target[a1.c0 + j] = v));
        for (let k = 0; k < a1.c0 + row.length; k++) if (target[k] === undefined) target[k] = '';
        tab[start + i] = target;
      });
      for (let r = 0; r < tab.length; r++) tab[r] ??= [];
      calls.push({ kind: append ? 'append' : 'update', spreadsheetId, range, rows: values.length });
      const width = Math.max(1, ...values.map((r) => r.length));
      const written = `${quoted(a1.tab)}!${colLetters(a1.c0)}${start + 1}:${colLetters(a1.c0 + width - 1)}${start + values.length}`;
      const updates = { spreadsheetId, updatedRange: written, updatedRows: values.length, updatedColumns: width, updatedCells: values.reduce((n, r) => n + r.length, 0) };
      if (!append) return { status: 200, body: updates };
      const answer: FakeAnswer = { status: 200, body: { spreadsheetId, tableRange: `${quoted(a1.tab)}!A1:Z${start}`, updates } };
      const hook = fake.beforeAppendAnswer;
      return hook ? Promise.resolve(hook(calls[calls.length - 1])).then(() => answer) : answer;
    },
    (x) => x.path !== '/token' && (!faultAppendsOnly || x.path.endsWith(':append')),
  );

  const fake: FakeSheets = {
    ...server,
    root: server.url,
    calls,
    tokens,
    addServiceAccount(clientEmail, publicKeyPem) {
      keys.set(clientEmail, createPublicKey(publicKeyPem));
    },
    createSpreadsheet(id, tabs, sharedWith) {
      books.set(id, { tabs: new Map(tabs.map((t) => [t, []])), shared: new Set(sharedWith) });
    },
    share(id, email) {
      books.get(id)?.shared.add(email);
    },
    unshare(id, email) {
      books.get(id)?.shared.delete(email);
    },
    deleteSpreadsheet(id) {
      books.delete(id);
    },
    faultAppendsOnly(on) {
      faultAppendsOnly = on;
    },
    setRow(id, tab, row, cells) {
      const t = books.get(id)?.tabs.get(tab);
      if (!t) throw new Error(`no tab ${tab} in ${id}`);
      for (let r = t.length; r < row; r++) t[r] = [];
      t[row] = [...cells];
    },
    rows(id, tab) {
      return (books.get(id)?.tabs.get(tab) ?? []).map(trimRow);
    },
  };
  return fake;
}
