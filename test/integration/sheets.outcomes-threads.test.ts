// `herald all` with a sender thread: an outcomes sheet added to a program that is sending reaches the
// thread at once, so the outcome of the next message is a row (the thread had just read "no outcome
// sheet" for that program and would have believed it for a while).
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { readOutbox } from '../../src/providers/outbox-file';
import { makeServiceAccountKey, startFakeSheets, type FakeSheets, type ServiceAccountKeyFile } from '../support/fake-sheets';
import { postVisit, sendFirstVisit } from '../support/clinic';
import { disposeTestHerald, eventually, startTestHerald, tempDir, testConfig } from '../support/herald';

jest.setTimeout(60_000);

let fake: FakeSheets;
let sa: ServiceAccountKeyFile;
let herald: RunningHerald | undefined;

beforeAll(async () => {
  fake = await startFakeSheets();
  sa = makeServiceAccountKey(tempDir('herald-outcomes-threads-'), 'herald-export', fake);
});
afterAll(async () => {
  await disposeTestHerald(herald);
  await fake.close();
});

test('the first message after an outcomes sheet is added is a row of it', async () => {
  const config = testConfig('embedded', { 'worker.senderThreads': 1, 'sheets.googleApiRoot': fake.root, 'sheets.sweepMs': 200, 'sheets.retryBaseMs': 20, 'sheets.retryMaxMs': 300 });
  herald = await startTestHerald(config);
  const api = request(herald.url!);
  const post = (day: string) => postVisit(herald!, day);
  // A message sent while the program has no outcomes sheet: the sender thread looks and finds none.
  await sendFirstVisit(herald, config.dataDir);
  fake.createSpreadsheet('outcomes', ['Events', 'Outcomes'], [sa.clientEmail]);
  await api.post('/v1/programs/clinic/exports').send({ spreadsheetId: 'outcomes', sheetName: 'Events', outcomesSheetName: 'Outcomes', keyFile: sa.file }).expect(201);
  const second = await post('Tuesday');
  await eventually('the second SMS sent', () => readOutbox(config.dataDir, 'sms').length === 2);
  const rows = await eventually('its outcome in the sheet', () => {
    const r = fake.rows('outcomes', 'Outcomes').slice(1);
    return r.length > 0 ? r : undefined;
  }, 15_000);
  expect(rows.map((r) => [r[3], r[7]])).toEqual([[second, 'sent']]);
});
