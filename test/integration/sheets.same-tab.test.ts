// Two exports writing into one tab would put every event in it twice (and each would take the
// other's rows for its own when it reads the id column back). Found by hand: registering the same
// spreadsheet and tab again answered 201. It is refused with 422 naming the tab's field.
import request from 'supertest';
import { makeServiceAccountKey } from '../support/fake-sheets';
import { tempDir } from '../support/herald';
import { makeApp, type TestApp } from './http.support';

let t: TestApp;
const key = makeServiceAccountKey(tempDir('herald-sheets-same-tab-'), 'same-tab');
const base = '/v1/programs/shop/exports';

beforeAll(async () => {
  t = await makeApp();
  await request(t.app).post('/v1/programs').send({ id: 'shop', name: 'Shop' }).expect(201);
});
afterAll(async () => {
  await t.store.close();
});

test('a tab that already receives an export of the workspace is refused with 422 naming the field; another tab or spreadsheet is fine', async () => {
  const first = (await request(t.app).post(base).send({ spreadsheetId: 'book-1', sheetName: 'Events', outcomesSheetName: 'Outcomes', keyFile: key.file }).expect(201)).body;
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ spreadsheetId: 'book-1', sheetName: 'Events' }, 'sheetName'],
    [{ spreadsheetId: 'book-1', sheetName: 'Outcomes' }, 'sheetName'],
    [{ spreadsheetId: 'book-1', sheetName: 'Other', outcomesSheetName: 'Events' }, 'outcomesSheetName'],
  ];
  for (const [body, field] of cases) {
    const r = await request(t.app).post(base).send({ ...body, keyFile: key.file });
    expect({ status: r.status, issues: r.body.error?.issues }).toEqual({ status: 422, issues: [expect.objectContaining({ field, reason: expect.stringContaining(first.id) })] });
  }
  await request(t.app).post(base).send({ spreadsheetId: 'book-1', sheetName: 'Other', keyFile: key.file }).expect(201);
  await request(t.app).post(base).send({ spreadsheetId: 'book-2', sheetName: 'Events', keyFile: key.file }).expect(201);
  // Deleted, its tab is free again.
  await request(t.app).delete(`${base}/${first.id}`).expect(204);
  await request(t.app).post(base).send({ spreadsheetId: 'book-1', sheetName: 'Events', keyFile: key.file }).expect(201);
});
