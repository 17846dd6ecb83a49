// A store call of a target's run that never settles (a lost driver call, a write waiting on a lock) must not
// hold the run for good: the target would never be exported again by this process (every kick waits
// behind it) and stop() would never return. Each store call of a run gives up after store.callTimeoutMs.
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

const settles = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

test('a run whose store call hangs fails within the bound; the next run exports the rows', async () => {
  fake.createSpreadsheet('book-h', ['Events'], [sa.clientEmail]);
  await target('th', 'book-h');
  const exporter = createSheetsExporter({ store, config: config({ 'store.callTimeoutMs': 300 }), logger });
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
