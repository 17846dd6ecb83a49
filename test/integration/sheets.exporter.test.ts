// The Google Sheets exporter against a local fake of the Sheets v4 API and token endpoint, on the
// embedded store: rows and header, batching, header growth, 429 bursts, an append whose answer
// never came, a crash between append and commit, a revoked permission and a deleted sheet.
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { createSheetsExporter, type SheetEvent } from '../../src/services/sheets';
import { createSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { StoreTimeoutError } from '../../src/store/call-timeout';
import { makeServiceAccountKey, startFakeSheets, type FakeSheets, type ServiceAccountKeyFile } from '../support/fake-sheets';
import { tempDir } from '../support/herald';

const logger = createLogger('test', { level: 'error', silent: true });
const dir = tempDir('herald-sheets-');
let fake: FakeSheets;
let sa: ServiceAccountKeyFile;
let store: Store;

const config = (over: Record<string, unknown> = {}) =>
  loadConfig({}, { 'sheets.googleApiRoot': fake.root, 'sheets.retryBaseMs': 20, 'sheets.retryMaxMs': 200, 'sheets.timeoutMs': 1500, 'sheets.batchRows': 50, ...over });

function events(n: number, from = 0, data: (i: number) => Record<string, unknown> = (i) => ({ customer: { name: `C${i}` }, amount: i })): SheetEvent[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { id: `ev-${String(i).padStart(6, '0')}`, workspaceId: 'default', programId: 'p1', eventTypeId: 'order', createdAt: new Date(Date.UTC(2030, 0, 1) + i * 1000), data: data(i) };
  });
}

/** The id column below the header. */
const idsIn = (id: string, tab = 'Events') => fake.rows(id, tab).slice(1).map((r) => String(r[0]));

async function target(id: string, spreadsheetId: string, over: Record<string, unknown> = {}) {
  return store.sheetExports.create({ id, workspaceId: 'default', programId: 'p1', spreadsheetId, sheetName: 'Events', keyFile: sa.file, ...over });
}

beforeAll(async () => {
  fake = await startFakeSheets();
  sa = makeServiceAccountKey(dir, 'exporter', fake);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(async () => {
  store = createSqliteStore(':memory:');
  await store.connect();
  fake.calls.length = 0;
});
afterEach(async () => {
  await store.close();
});

test('each event becomes one row (id, time, event type, data flattened with dots) under a header, in batches', async () => {
  fake.createSpreadsheet('book-1', ['Events'], [sa.clientEmail]);
  await target('t1', 'book-1');
  const exporter = createSheetsExporter({ store, config: config(), logger });
  await exporter.stage(events(120));
  expect(await exporter.drain('t1')).toBe('done');
  const rows = fake.rows('book-1', 'Events');
  expect(rows[0]).toEqual(['id', 'time', 'eventType', 'customer.name', 'amount']);
  expect(rows[1]).toEqual(['ev-000000', '2030-01-01T00:00:00.000Z', 'order', 'C0', 0]);
  expect(idsIn('book-1')).toEqual(events(120).map((e) => e.id));
  // 120 rows at 50 a call: three appends, and the token exchange really ran with the signed key.
  expect(fake.calls.filter((c) => c.kind === 'append').map((c) => c.rows)).toEqual([50, 50, 20]);
  expect(fake.tokens).toContain(sa.clientEmail);
  const t = (await store.sheetExports.get('t1'))!;
  expect(t).toMatchObject({ status: 'active', rowsExported: 120, lastRowId: 'ev-000119', nextRow: 122, inflight: false });
  // Staged again (the bus delivered twice): nothing new is written.
  await exporter.stage(events(120));
  expect(await exporter.drain('t1')).toBe('done');
  expect(idsIn('book-1')).toHaveLength(120);
});

test('a new field adds a column at the end of the header; old columns keep their place and rows line up', async () => {
  fake.createSpreadsheet('book-2', ['Events'], [sa.clientEmail]);
  await target('t2', 'book-2');
  const exporter = createSheetsExporter({ store, config: config(), logger });
  await exporter.stage(events(2));
  await exporter.drain('t2');
  await exporter.stage(events(1, 2, () => ({ amount: 7, shipping: { city: 'Nairobi', express: true }, tags: ['a', 'b'] })));
  await exporter.drain('t2');
  const rows = fake.rows('book-2', 'Events');
  expect(rows[0]).toEqual(['id', 'time', 'eventType', 'customer.name', 'amount', 'shipping.city', 'shipping.express', 'tags']);
  expect(rows[3]).toEqual(['ev-000002', '2030-01-01T00:00:02.000Z', 'order', '', 7, 'Nairobi', true, '["a","b"]']);
  expect(rows[1].slice(0, 5)).toEqual(['ev-000000', '2030-01-01T00:00:00.000Z', 'order', 'C0', 0]);
  expect(fake.calls.filter((c) => c.kind === 'update')).toHaveLength(2);
});

test('a header someone already wrote in the sheet is kept in its order; missing columns are added after it', async () => {
  fake.createSpreadsheet('book-3', ['Events'], [sa.clientEmail]);
  fake.setRow('book-3', 'Events', 0, ['time', 'id', 'note']);
  await target('t3', 'book-3');
  const exporter = createSheetsExporter({ store, config: config(), logger });
  await exporter.stage(events(1));
  await exporter.drain('t3');
  const rows = fake.rows('book-3', 'Events');
  expect(rows[0]).toEqual(['time', 'id', 'note', 'eventType', 'customer.name', 'amount']);
  expect(rows[1]).toEqual(['2030-01-01T00:00:00.000Z', 'ev-000000', '', 'order', 'C0', 0]);
});

test('429 bursts and 5xx are retried with backoff, and every row arrives once', async () => {
  fake.createSpreadsheet('book-4', ['Events'], [sa.clientEmail]);
  await target('t4', 'book-4');
  const exporter = createSheetsExporter({ store, config: config({ 'sheets.maxAttempts': 8 }), logger });
  await exporter.stage(events(100));
  fake.failNext(3, 429);
  fake.failNext(1, 503);
  expect(await exporter.drain('t4')).toBe('done');
  expect(idsIn('book-4')).toEqual(events(100).map((e) => e.id));
  expect(fake.requests.filter((r) => r.status === 429)).not.toHaveLength(0);
}, 20_000);

test('an append Google applied but never answered is read back, not sent again', async () => {
  fake.createSpreadsheet('book-5', ['Events'], [sa.clientEmail]);
  await target('t5', 'book-5');
  const exporter = createSheetsExporter({ store, config: config(), logger });
  await exporter.stage(events(30));
  await exporter.drain('t5');
  await exporter.stage(events(40, 30));
  // The append lands and its answer never comes (the request times out).
  fake.faultAppendsOnly(true);
  fake.failNext(1, 'timeout');
  try {
    expect(await exporter.drain('t5')).toBe('done');
  } finally {
    fake.faultAppendsOnly(false);
  }
  expect(idsIn('book-5')).toEqual(events(70).map((e) => e.id));
  expect(fake.calls.filter((c) => c.kind === 'get' && c.range.includes('!A32:A'))).toHaveLength(1);
  expect((await store.sheetExports.get('t5'))!).toMatchObject({ rowsExported: 70, inflight: false, nextRow: 72 });
}, 20_000);

test('a crash between append and commit: the next exporter reads the id column back and skips what is there', async () => {
  fake.createSpreadsheet('book-6', ['Events'], [sa.clientEmail]);
  await target('t6', 'book-6');
  let crash = true;
  const first = createSheetsExporter({
    store, config: config(), logger, owner: 'first',
    afterAppend: async () => {
      if (crash) throw new Error('killed between append and commit');
    },
  });
  await first.stage(events(80));
  await expect(first.drain('t6')).rejects.toThrow('killed');
  crash = false;
  expect(idsIn('book-6')).toHaveLength(50);
  expect((await store.sheetExports.get('t6'))!).toMatchObject({ inflight: true, rowsExported: 0 });
  // The restarted process (another owner; the dead one's lease was released or expired).
  const second = createSheetsExporter({ store, config: config(), logger, owner: 'second' });
  expect(await second.drain('t6')).toBe('done');
  expect(idsIn('book-6')).toEqual(events(80).map((e) => e.id));
  expect((await store.sheetExports.get('t6'))!).toMatchObject({ inflight: false, rowsExported: 80 });
});

test('a revoked permission pauses that target with a clear error; another target goes on; resumed, it catches up', async () => {
  fake.createSpreadsheet('book-7', ['Events'], [sa.clientEmail]);
  fake.createSpreadsheet('book-8', ['Events'], [sa.clientEmail]);
  await target('t7', 'book-7');
  await target('t8', 'book-8');
  const exporter = createSheetsExporter({ store, config: config(), logger });
  await exporter.stage(events(10));
  await Promise.all([exporter.drain('t7'), exporter.drain('t8')]);
  fake.unshare('book-7', sa.clientEmail);
  await exporter.stage(events(10, 10));
  expect(await exporter.drain('t7')).toBe('paused');
  expect(await exporter.drain('t8')).toBe('done');
  const paused = (await store.sheetExports.get('t7'))!;
  expect(paused.status).toBe('paused');
  expect(paused.error).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining("share it with the service account's e-mail") });
  expect(idsIn('book-7')).toHaveLength(10);
  expect(idsIn('book-8')).toHaveLength(20);
  // Events keep being staged while paused; shared again and resumed, nothing is missing.
  await exporter.stage(events(5, 20));
  fake.share('book-7', sa.clientEmail);
  await store.sheetExports.update('t7', { status: 'active', error: undefined });
  expect(await exporter.drain('t7')).toBe('done');
  expect(idsIn('book-7')).toEqual(events(25).map((e) => e.id));
});

test('a deleted spreadsheet or a missing tab pauses the target as SHEET_NOT_FOUND', async () => {
  fake.createSpreadsheet('book-9', ['Other'], [sa.clientEmail]);
  await target('t9', 'book-9');
  await target('t10', 'no-such-book');
  const exporter = createSheetsExporter({ store, config: config(), logger });
  await exporter.stage(events(3));
  expect(await exporter.drain('t9')).toBe('paused');
  expect(await exporter.drain('t10')).toBe('paused');
  expect((await store.sheetExports.get('t9'))!.error).toMatchObject({ code: 'SHEET_NOT_FOUND', message: expect.stringContaining('tab') });
  expect((await store.sheetExports.get('t10'))!.error).toMatchObject({ code: 'SHEET_NOT_FOUND' });
  expect(await store.sheetExports.pendingCount('t9')).toBe(3);
});

test('a key Google refuses pauses the target as AUTH', async () => {
  fake.createSpreadsheet('book-11', ['Events'], [sa.clientEmail]);
  const stranger = makeServiceAccountKey(dir, 'stranger'); // never registered with Google
  await target('t11', 'book-11', { keyFile: stranger.file });
  const exporter = createSheetsExporter({ store, config: config(), logger });
  await exporter.stage(events(1));
  expect(await exporter.drain('t11')).toBe('paused');
  expect((await store.sheetExports.get('t11'))!.error).toMatchObject({ code: 'AUTH', message: expect.stringContaining('invalid_grant') });
});

test('an event type filter: only that type is exported', async () => {
  fake.createSpreadsheet('book-12', ['Events'], [sa.clientEmail]);
  await target('t12', 'book-12', { eventTypeId: 'refund' });
  const exporter = createSheetsExporter({ store, config: config(), logger });
  const mixed = events(4).map((e, i) => ({ ...e, eventTypeId: i % 2 ? 'refund' : 'order' }));
  await exporter.stage(mixed);
  await exporter.drain('t12');
  expect(idsIn('book-12')).toEqual([mixed[1].id, mixed[3].id]);
});

test('two workers on one target: one holds the lease at a time, rows land once', async () => {
  fake.createSpreadsheet('book-13', ['Events'], [sa.clientEmail]);
  await target('t13', 'book-13');
  const a = createSheetsExporter({ store, config: config(), logger, owner: 'a' });
  const b = createSheetsExporter({ store, config: config(), logger, owner: 'b' });
  await a.stage(events(200));
  const results = await Promise.all([a.drain('t13'), b.drain('t13')]);
  expect(results.sort()).toEqual(['busy', 'done']);
  await b.stage(events(100, 200));
  await Promise.all([a.drain('t13'), b.drain('t13'), a.drain('t13')]);
  await a.drain('t13');
  expect(idsIn('book-13')).toEqual(events(300).map((e) => e.id));
  expect(await a.drain('gone-target')).toBe('gone');
});

test('Google failing past the retries: the export stays active and shows the last error until an append goes through', async () => {
  fake.createSpreadsheet('book-14', ['Events'], [sa.clientEmail]);
  await target('t14', 'book-14');
  const exporter = createSheetsExporter({ store, config: config({ 'sheets.maxAttempts': 2 }), logger });
  await exporter.stage(events(5));
  fake.failNext(2, 503);
  expect(await exporter.drain('t14')).toBe('later');
  expect((await store.sheetExports.get('t14'))!).toMatchObject({ status: 'active', error: { code: 'TRANSIENT', message: expect.stringContaining('503') } });
  expect(await exporter.drain('t14')).toBe('done');
  const t = (await store.sheetExports.get('t14'))!;
  expect(t.error).toBeUndefined();
  expect(idsIn('book-14')).toEqual(events(5).map((e) => e.id));
});

test('stopping while a Google call is in flight does not wait out the retry backoff (Ctrl+C exits promptly)', async () => {
  fake.createSpreadsheet('book-15', ['Events'], [sa.clientEmail]);
  await target('t15', 'book-15');
  // A retry would wait 10-20 s; the call in flight times out after 1.5 s.
  const exporter = createSheetsExporter({ store, config: config({ 'sheets.retryBaseMs': 20_000, 'sheets.retryMaxMs': 20_000, 'sheets.leaseMs': 60_000 }), logger });
  await exporter.stage(events(3));
  fake.failNext(1, 'timeout');
  const run = exporter.drain('t15');
  await new Promise((r) => setTimeout(r, 300));
  const stopping = Date.now();
  await exporter.stop();
  expect(await run).toBe('later');
  expect(Date.now() - stopping).toBeLessThan(8_000); // without the fix: at least 11.5 s
  // What was staged stays for the next run.
  expect((await store.sheetExports.get('t15'))!).toMatchObject({ status: 'active', rowsExported: 0 });
}, 30_000);

// A store call of a run that never settles (a lost driver call, a write waiting on a lock) held the run for good:
// every later kick of the target waited behind it and stop() never returned. Each call gives up after store.callTimeoutMs.
const settles = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

test('a run whose store call hangs fails within the bound; the next run exports the rows', async () => {
  fake.createSpreadsheet('book-h', ['Events'], [sa.clientEmail]);
  await target('th', 'book-h');
  const exporter = createSheetsExporter({ store, config: config({ 'store.callTimeoutMs': 300 }), logger });
  // A first run loads the Google client (a synchronous require of seconds on a loaded machine), outside the window measured.
  expect(await exporter.drain('th')).toBe('done');
  await exporter.stage(events(10));
  const real = store.sheetExports.pending.bind(store.sheetExports);
  const spy = jest.spyOn(store.sheetExports, 'pending').mockImplementationOnce(() => new Promise(() => undefined));
  const hung = exporter.drain('th');
  expect(await settles(hung, 3_000)).toBe(true);
  await expect(hung).rejects.toBeInstanceOf(StoreTimeoutError);
  spy.mockImplementation(real);
  expect(await exporter.drain('th')).toBe('done');
  expect(idsIn('book-h')).toEqual(events(10).map((e) => e.id));
});
