// Google Sheets export through the API and the whole pipeline, on both backends (SQLite store +
// embedded queue; MongoDB + RabbitMQ): registering a target (refused with the field named),
// events posted over HTTP arriving as rows exactly once through 429 bursts, a revoked
// permission pausing one target while another goes on, resume, delete.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { makeServiceAccountKey, startFakeSheets, type FakeSheets, type ServiceAccountKeyFile } from '../support/fake-sheets';
import { disposeTestHerald, eventually, startTestHerald, tempDir, testConfig, type Backend } from '../support/herald';
import { requireServices } from '../support/services';

let fake: FakeSheets;
let sa: ServiceAccountKeyFile;
const dir = tempDir('herald-sheets-http-');

beforeAll(async () => {
  fake = await startFakeSheets();
  sa = makeServiceAccountKey(dir, 'herald-export', fake);
});
afterAll(async () => {
  await fake.close();
});

describe.each<Backend>(['embedded', 'real'])('Google Sheets export (%s)', (backend) => {
  let herald: RunningHerald;
  const book = (name: string) => `${backend}-${name}`;
  const ids = (spreadsheet: string) => fake.rows(spreadsheet, 'Events').slice(1).map((r) => String(r[0]));
  const base = '/v1/programs/shop/exports';

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    herald = await startTestHerald(
      testConfig(backend, {
        'sheets.googleApiRoot': fake.root, 'sheets.sweepMs': 200, 'sheets.batchRows': 25, 'sheets.retryBaseMs': 20, 'sheets.retryMaxMs': 300, 'sheets.leaseMs': 5000, 'sheets.timeoutMs': 2500,
      }),
    );
    await herald.store.programs.create('default', { id: 'shop', name: 'Shop' });
    for (const id of ['order', 'refund']) await herald.store.eventTypes.create('default', { programId: 'shop', id, name: id, templates: {} });
  }, 60_000);
  afterAll(async () => {
    await disposeTestHerald(herald);
  });

  const post = (eventTypeId: string, data: Record<string, unknown>) =>
    request(herald.url!).post('/v1/notifications').send({ programId: 'shop', eventTypeId, startTime: new Date().toISOString(), data }).expect(202).then((r) => r.body.id as string);

  test('a target that cannot work is refused with the field named, and nothing is stored', async () => {
    const notKey = path.join(dir, 'not-a-key.json');
    fs.writeFileSync(notKey, JSON.stringify({ type: 'service_account', client_email: 'x@y.z' }));
    const ok = { spreadsheetId: book('refused'), sheetName: 'Events', keyFile: sa.file };
    const cases: Array<[Record<string, unknown>, number, string, RegExp]> = [
      [{ ...ok, sheetName: undefined }, 400, 'sheetName', /required/i],
      [{ ...ok, spreadsheetId: 'https://docs.google.com/x' }, 400, 'spreadsheetId', /id from the spreadsheet URL/],
      [{ ...ok, eventTypeId: 'nope' }, 422, 'eventTypeId', /does not exist/],
      [{ ...ok, keyFile: path.join(dir, 'missing.json') }, 422, 'keyFile', /cannot read the key file .*ENOENT/],
      [{ ...ok, keyFile: notKey }, 422, 'keyFile', /no private_key/],
      [{ ...ok, keyFile: 'keys/sa.json' }, 422, 'keyFile', /absolute path/],
      [{ spreadsheetId: book('refused'), sheetName: 'Events' }, 422, 'keyFile', /GOOGLE_APPLICATION_CREDENTIALS/],
      [{ ...ok, extra: 1 }, 400, 'extra', /./],
    ];
    for (const [body, status, field, reason] of cases) {
      const r = await request(herald.url!).post(base).send(body);
      expect({ status: r.status, body: r.body }).toMatchObject({ status, body: { error: { issues: expect.arrayContaining([expect.objectContaining({ field, reason: expect.stringMatching(reason) })]) } } });
    }
    await request(herald.url!).post('/v1/programs/nope/exports').send(ok).expect(404);
    expect((await request(herald.url!).get(base).expect(200)).body.items).toEqual([]);
  });

  test('events posted over HTTP arrive as rows once each, through 429 bursts; a revoked permission pauses only its target; resume catches up', async () => {
    fake.createSpreadsheet(book('all'), ['Events'], [sa.clientEmail]);
    fake.createSpreadsheet(book('refunds'), ['Events'], [sa.clientEmail]);
    const all = (await request(herald.url!).post(base).send({ spreadsheetId: book('all'), sheetName: 'Events', keyFile: sa.file }).expect(201)).body;
    const refunds = (await request(herald.url!).post(base).send({ spreadsheetId: book('refunds'), sheetName: 'Events', keyFile: sa.file, eventTypeId: 'refund' }).expect(201)).body;
    expect(all).toMatchObject({ status: 'active', rowsExported: 0, rowsPending: 0, serviceAccountEmail: sa.clientEmail, programId: 'shop' });
    expect(refunds).toMatchObject({ eventTypeId: 'refund' });

    fake.failNext(4, 429);
    const posted: Array<{ id: string; type: string }> = [];
    for (let i = 0; i < 60; i++) {
      const type = i % 3 === 0 ? 'refund' : 'order';
      posted.push({ id: await post(type, { order: { id: `o-${i}`, total: i * 10 }, customer: { name: `Customer ${i}`, email: `c${i}@example.com` } }), type });
    }
    const refundIds = () => posted.filter((p) => p.type === 'refund').map((p) => p.id);
    await eventually('every event in the first sheet', () => ids(book('all')).length >= 60, 30_000);
    await eventually('every refund in the second sheet', () => ids(book('refunds')).length >= 20, 30_000);
    expect(ids(book('all')).sort()).toEqual(posted.map((p) => p.id).sort());
    expect(ids(book('refunds')).sort()).toEqual(refundIds().sort());
    expect(fake.rows(book('all'), 'Events')[0]).toEqual(['id', 'time', 'eventType', 'order.id', 'order.total', 'customer.name', 'customer.email']);
    await eventually('the position committed', async () => (await request(herald.url!).get(`${base}/${all.id}`)).body.rowsExported === 60);
    expect((await request(herald.url!).get(`${base}/${all.id}`).expect(200)).body).toMatchObject({ status: 'active', rowsPending: 0, inflight: false, header: expect.arrayContaining(['order.total']) });

    // The refunds sheet is no longer shared with the service account.
    fake.unshare(book('refunds'), sa.clientEmail);
    for (let i = 60; i < 66; i++) posted.push({ id: await post('refund', { order: { id: `o-${i}`, total: 1 } }), type: 'refund' });
    const paused = await eventually('the refunds export paused', async () => {
      const b = (await request(herald.url!).get(`${base}/${refunds.id}`)).body;
      return b.status === 'paused' ? b : undefined;
    }, 30_000);
    expect(paused.error).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('share it with') });
    // Events keep being staged while it is paused.
    await eventually('six refunds waiting', async () => (await request(herald.url!).get(`${base}/${refunds.id}`)).body.rowsPending === 6, 30_000);
    await eventually('the other export went on', () => ids(book('all')).length === 66, 30_000);
    const listed = (await request(herald.url!).get(base).expect(200)).body.items;
    expect(listed.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([[all.id, 'active'], [refunds.id, 'paused']]);

    // Shared again and resumed: what waited arrives, nothing twice.
    fake.share(book('refunds'), sa.clientEmail);
    expect((await request(herald.url!).post(`${base}/${refunds.id}/resume`).expect(200)).body).toMatchObject({ status: 'active' });
    await eventually('the refunds caught up', () => ids(book('refunds')).length >= 26, 30_000);
    expect(ids(book('refunds')).sort()).toEqual(refundIds().sort());
    expect(ids(book('all')).sort()).toEqual(posted.map((p) => p.id).sort());
    expect((await request(herald.url!).get(`${base}/${refunds.id}`)).body.error).toBeUndefined();
  }, 90_000);

  test('with outcomesSheetName, each message outcome is a row of that tab; the export shows both sheets', async () => {
    fake.createSpreadsheet(book('outcomes'), ['Events', 'Outcomes'], [sa.clientEmail]);
    await herald.store.programs.create('default', { id: 'clinic', name: 'Clinic' });
    await herald.store.eventTypes.create('default', { programId: 'clinic', id: 'visit', name: 'Visit', templates: { sms: { text: 'See you {{data.day}}' } } });
    for (const u of ['amina', 'baraka']) {
      await herald.store.users.create('default', { id: u, name: u, phone: u === 'amina' ? '+254700000001' : '+254700000002' });
      await herald.store.subscriptions.create('default', { id: `s-${u}`, userId: u, programId: 'clinic', channels: ['sms'] });
    }
    await herald.store.users.create('default', { id: 'nophone', name: 'No phone' });
    await herald.store.subscriptions.create('default', { id: 's-nophone', userId: 'nophone', programId: 'clinic', channels: ['sms'] });
    const api = request(herald.url!);
    const refused = await api.post('/v1/programs/clinic/exports').send({ spreadsheetId: book('outcomes'), sheetName: 'Events', outcomesSheetName: 'Events', keyFile: sa.file });
    expect(refused.status).toBe(422);
    expect(refused.body.error.issues).toEqual([expect.objectContaining({ field: 'outcomesSheetName' })]);
    const t = (await api.post('/v1/programs/clinic/exports').send({ spreadsheetId: book('outcomes'), sheetName: 'Events', outcomesSheetName: 'Outcomes', keyFile: sa.file }).expect(201)).body;
    expect(t.outcomes).toMatchObject({ sheetName: 'Outcomes', status: 'active', rowsExported: 0 });
    const n = (await api.post('/v1/notifications').send({ programId: 'clinic', eventTypeId: 'visit', startTime: new Date().toISOString(), data: { day: 'Monday' } }).expect(202)).body.id;
    const outcomes = () => fake.rows(book('outcomes'), 'Outcomes');
    await eventually('three outcomes', () => outcomes().length >= 4, 30_000);
    expect(outcomes()[0]).toEqual(['id', 'time', 'messageId', 'notificationId', 'eventType', 'channel', 'userId', 'status', 'provider', 'errorCode', 'errorMessage']);
    const byUser = Object.fromEntries(outcomes().slice(1).map((r) => [r[6], r]));
    expect(byUser.amina).toEqual([`${n}:amina:sms/sent`, expect.any(String), `${n}:amina:sms`, n, 'visit', 'sms', 'amina', 'sent', 'outbox-sms']);
    expect(byUser.nophone).toEqual([`${n}:nophone:sms/rejected`, expect.any(String), `${n}:nophone:sms`, n, 'visit', 'sms', 'nophone', 'rejected', '', 'NO_ADDRESS', "user 'nophone' has no phone number"]);
    expect(outcomes()).toHaveLength(4);
    // The Events tab is exported by a run of its own: it may trail the Outcomes tab.
    await eventually('the event in the Events tab', () => ids(book('outcomes')).length >= 1, 30_000);
    expect(ids(book('outcomes'))).toEqual([n]);
    await eventually('both positions committed', async () => {
      const b = (await api.get(`/v1/programs/clinic/exports/${t.id}`)).body;
      return b.rowsExported === 1 && b.outcomes.rowsExported === 3;
    });
    // The outcomes sheet is not an export of its own.
    expect((await api.get('/v1/programs/clinic/exports').expect(200)).body.items.map((x: { id: string }) => x.id)).toEqual([t.id]);
    await api.get(`/v1/programs/clinic/exports/${t.id}-outcomes`).expect(404);
    await api.delete(`/v1/programs/clinic/exports/${t.id}`).expect(204);
    expect(await herald.store.sheetExports.get(`${t.id}-outcomes`)).toBeNull();
  }, 60_000);

  test('a deleted export stops; its sheet keeps its rows; unknown ids are 404', async () => {
    fake.createSpreadsheet(book('gone'), ['Events'], [sa.clientEmail]);
    const t = (await request(herald.url!).post(base).send({ spreadsheetId: book('gone'), sheetName: 'Events', keyFile: sa.file }).expect(201)).body;
    const first = await post('order', { n: 1 });
    await eventually('the first row', () => ids(book('gone')).length === 1, 30_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify((await request(herald.url!).get(`${base}/${t.id}`)).body)} ${JSON.stringify(fake.requests.slice(-5))}`);
    });
    await request(herald.url!).delete(`${base}/${t.id}`).expect(204);
    await request(herald.url!).get(`${base}/${t.id}`).expect(404);
    await request(herald.url!).delete(`${base}/${t.id}`).expect(404);
    await request(herald.url!).post(`${base}/${t.id}/resume`).expect(404);
    await request(herald.url!).get('/v1/programs/nope/exports').expect(404);
    await post('order', { n: 2 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(ids(book('gone'))).toEqual([first]);
  }, 60_000);
});
