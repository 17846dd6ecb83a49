// kill -9 of the Google Sheets worker (`herald worker sheets`, a real child process on MongoDB
// and RabbitMQ) right after Google applied an append and before the worker could commit it: a
// new worker takes the export over once the dead one's lease runs out, reads the id column back,
// skips the rows already there, and the sheet ends with every event exactly once.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { makeServiceAccountKey, startFakeSheets, type FakeSheets } from '../support/fake-sheets';
import { disposeTestHerald, eventually, startTestHerald, tempDir, testConfig } from '../support/herald';
import { heraldEnv, heraldProcess, type HeraldProcess } from '../support/processes';
import { AMQP_URL, requireServices } from '../support/services';

jest.setTimeout(180_000);

let fake: FakeSheets;
let server: RunningHerald;
const dir = tempDir('herald-sheets-kill-');
const workers: HeraldProcess[] = [];

beforeAll(async () => {
  await requireServices(['mongo', 'amqp']);
  fake = await startFakeSheets();
  server = await startTestHerald(testConfig('real'), 'server');
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL').catch(() => undefined);
  await disposeTestHerald(server);
  await fake?.close();
});

function sheetsWorker(name: string): HeraldProcess {
  const w = heraldProcess({
    role: 'sheets',
    logDir: dir,
    logName: name,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...heraldEnv({
        mongodbUri: server.config.mongodbUri!, amqpUrl: AMQP_URL, amqpPrefix: server.config.amqpPrefix, dispatchPort: 0,
        extra: {
          HERALD_DATA_DIR: dir, HERALD_GOOGLE_API_ROOT: fake.root, HERALD_SHEETS_BATCH_ROWS: '20', HERALD_SHEETS_SWEEP_MS: '300', HERALD_SHEETS_LEASE_MS: '3000', HERALD_SHEETS_TIMEOUT_MS: '2000',
        },
      }),
    },
  });
  workers.push(w);
  return w;
}

test('kill -9 between an append Google applied and its commit: every event ends in the sheet exactly once', async () => {
  const sa = makeServiceAccountKey(dir, 'kill-test', fake);
  fake.createSpreadsheet('kill-book', ['Events'], [sa.clientEmail]);
  await server.store.programs.create('default', { id: 'forms', name: 'Forms' });
  await server.store.eventTypes.create('default', { programId: 'forms', id: 'response', name: 'Response', templates: {} });
  const api = request(server.url!);
  const target = (await api.post('/v1/programs/forms/exports').send({ spreadsheetId: 'kill-book', sheetName: 'Events', keyFile: sa.file }).expect(201)).body;

  const first = sheetsWorker('sheets-1');
  await first.start();
  // The third append: Google writes it, then the worker dies before it hears back.
  let appends = 0;
  let killed: Promise<void> | undefined;
  fake.beforeAppendAnswer = async () => {
    appends++;
    if (appends === 3) {
      killed = first.kill('SIGKILL');
      await killed;
    }
  };
  const N = 150;
  const posted: string[] = [];
  for (let i = 0; i < N; i++) {
    const r = await api.post('/v1/notifications').send({ programId: 'forms', eventTypeId: 'response', startTime: new Date().toISOString(), data: { answer: { q1: `a${i}`, score: i } } }).expect(202);
    posted.push(r.body.id);
  }
  await eventually('the worker killed at its third append', () => killed !== undefined, 60_000).catch((e) => {
    throw new Error(`${(e as Error).message}; calls: ${JSON.stringify(fake.calls)}; requests: ${JSON.stringify(fake.requests.slice(-10))}`);
  });
  await killed;
  fake.beforeAppendAnswer = undefined;
  const ids = () => fake.rows('kill-book', 'Events').slice(1).map((r) => String(r[0]));
  const atKill = ids().length;
  expect(atKill).toBeGreaterThanOrEqual(3);
  const state = (await api.get(`/v1/programs/forms/exports/${target.id}`).expect(200)).body;
  expect(state.inflight).toBe(true);

  const readsBefore = fake.calls.filter((c) => c.kind === 'get' && /!A\d+:A$/.test(c.range)).length;
  await sheetsWorker('sheets-2').start();
  await eventually('every event in the sheet', async () => (await api.get(`/v1/programs/forms/exports/${target.id}`)).body.rowsPending === 0 && ids().length >= N, 90_000);
  expect(ids()).toHaveLength(N);
  expect([...ids()].sort()).toEqual([...posted].sort());
  // The new worker read the id column back before appending again.
  expect(fake.calls.filter((c) => c.kind === 'get' && /!A\d+:A$/.test(c.range)).length).toBeGreaterThan(readsBefore);
  expect((await api.get(`/v1/programs/forms/exports/${target.id}`)).body).toMatchObject({ status: 'active', inflight: false, rowsExported: N });
});
