// CSV imports against both stores (embedded default, MongoDB + RabbitMQ), with generated fixture
// files: the report says what was read, planned and rejected (line, column, reason); a bad row
// rejects the whole file unless onError=skip; a dry run writes nothing; the same file with the
// same Idempotency-Key is one import; imported campaigns go out through the pipeline.
import fs from 'node:fs';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { FIXTURES, KE } from '../support/csv-fixtures';
import { disposeInstallation, eventually, startTestHerald, tempDir, testConfig, type Backend } from '../support/herald';
import { requireServices } from '../support/services';

describe.each<Backend>(['embedded', 'real'])('CSV imports (%s)', (backend) => {
  let herald: RunningHerald;
  const dir = tempDir('herald-csv-');
  const api = () => request(herald.url!);
  const csv = (body: string, query = '') => api().post(`/v1/imports${query}`).set('Content-Type', 'text/csv').send(body);

  beforeAll(async () => {
    if (backend === 'real') await requireServices(['mongo', 'amqp']);
    herald = await startTestHerald(testConfig(backend, { 'phone.defaultRegion': 'KE', 'campaigns.timezone': 'Africa/Nairobi', 'credits.defaultBalance': 1000 }));
  }, 60_000);

  afterAll(async () => {
    await herald?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    if (backend === 'real' && herald) await disposeInstallation(herald.config.amqpUrl, herald.config.amqpPrefix, herald.config.mongodbUri);
  });

  it('imports campaigns, contacts and one message per number per campaign, and reports them', async () => {
    const res = await csv(FIXTURES.basic).expect(201);
    const r = res.body.report;
    expect(res.body.status).toBe('completed');
    expect(r).toMatchObject({ rowsRead: 4, rowsImported: 4, campaignsCreated: 2, contactsCreated: 4, messagesPlanned: 4, duplicates: 1, segments: 4, credits: 0.4, rejected: [] });
    const term = await herald.store.campaigns.getByName('default', 'Term 1');
    expect(term).toMatchObject({ recipients: 3, importId: res.body.id });
    const texts = (await herald.store.campaigns.recipientsAfter(term!.id, undefined, 10)).map((x) => [x.to, x.text]);
    // The first row for a number wins; national 0710000003 is read in the default region (KE).
    expect(texts).toEqual([[KE(1), 'Hello Amina fees are due'], [KE(2), 'Hello Amina fees are due'], [KE(3), 'Hello Baraka fees are due']]);
    const clinic = await herald.store.campaigns.getByName('default', 'Clinic');
    // tomorrow at the send hour (09:00) in Africa/Nairobi (UTC+3).
    expect(clinic!.sendAt!.toISOString()).toMatch(/T06:00:00\.000Z$/);
    expect(clinic!.status).toBe('scheduled');
    expect((await api().get(`/v1/imports/${res.body.id}`).expect(200)).body.report.messagesPlanned).toBe(4);
    await eventually('Term 1 sent to the outbox', async () => (await herald.store.campaigns.get(term!.id))?.status === 'completed', 20_000);
  }, 30_000);

  it('reads BOM, CRLF, quoted commas, quotes and newlines, emoji and empty lines', async () => {
    const before = Date.now();
    const r = (await csv(FIXTURES.messy).expect(201)).body.report;
    expect(r).toMatchObject({ rowsRead: 3, rowsImported: 3, messagesPlanned: 3, rejected: [] });
    // One row at 2030-01-31 09:00, two now: the campaign goes out at the earliest, and says so.
    expect(r.warnings).toEqual([expect.stringMatching(/^campaign 'Messy': rows have different sending times/)]);
    const c = await herald.store.campaigns.getByName('default', 'Messy');
    const texts = (await herald.store.campaigns.recipientsAfter(c!.id, undefined, 10)).map((x) => x.text);
    expect(texts).toEqual([`Hi, it's "Jane" 🎉`, 'Two lines:\r\nsecond line', 'Plain']);
    expect(c!.sendAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(c!.sendAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('rejects the whole file for one bad row by default, naming line, column and reason; nothing is written', async () => {
    const res = await csv(FIXTURES.bad).expect(422);
    expect(res.body.error.issues).toEqual([
      { field: 'line 3: recepient_nos', reason: expect.stringContaining("'+12' is not a valid phone number") },
      { field: 'line 4: sending_time', reason: expect.stringContaining("'next week' is not a sending time") },
      { field: 'line 5: message', reason: 'is empty' },
    ]);
    expect(res.body.import).toMatchObject({ status: 'rejected', report: { rowsRead: 4, rejectedTotal: 3 } });
    expect(await herald.store.campaigns.getByName('default', 'Bad file')).toBeNull();
    expect(await herald.store.campaigns.getContact('default', KE(20).slice(1))).toBeNull();
  });

  it('imports the good rows with onError=skip', async () => {
    const r = (await csv(FIXTURES.bad, '?onError=skip').expect(201)).body.report;
    expect(r).toMatchObject({ rowsRead: 4, rowsImported: 1, messagesPlanned: 1, rejectedTotal: 3 });
    expect(r.rejected.map((x: { line: number }) => x.line)).toEqual([3, 4, 5]);
    expect((await herald.store.campaigns.getByName('default', 'Bad file'))?.recipients).toBe(1);
  });

  it('reports a dry run without writing anything', async () => {
    const body = FIXTURES.basic.replace(/Term 1/g, 'Dry').replace('Clinic', 'Dry clinic');
    const res = await csv(body, '?dryRun=true').expect(201);
    expect(res.body).toMatchObject({ dryRun: true, status: 'completed', report: { campaignsCreated: 2, messagesPlanned: 4 } });
    expect(await herald.store.campaigns.getByName('default', 'Dry')).toBeNull();
  });

  it('reports a row older than the validity as expired, not sent', async () => {
    const r = (await csv(FIXTURES.expired).expect(201)).body.report;
    expect(r).toMatchObject({ rowsRead: 2, rowsImported: 1, rowsExpired: 1, messagesPlanned: 1 });
    expect(r.warnings[0]).toMatch(/^line 2: .*expired, not sent/);
  });

  it('splits a text over the maximum SMS length into parts and counts every segment', async () => {
    const r = (await csv(FIXTURES.long).expect(201)).body.report;
    expect(r).toMatchObject({ messagesPlanned: 1, segments: 7 });
  });

  it('is one import for the same file with the same Idempotency-Key; another file with it is refused', async () => {
    const body = FIXTURES.basic.replace(/Term 1/g, 'Idem').replace('Clinic', 'Idem clinic');
    const first = await csv(body).set('Idempotency-Key', `k-${backend}`).expect(201);
    const again = await csv(body).set('Idempotency-Key', `k-${backend}`).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await herald.store.campaigns.getByName('default', 'Idem'))?.recipients).toBe(3);
    const other = await csv(body.replace('Idem', 'Idem 2')).set('Idempotency-Key', `k-${backend}`).expect(422);
    expect(other.body.error.issues[0].field).toBe('Idempotency-Key');
  });

  it('takes the file as a multipart part, and refuses a file without the header or another type', async () => {
    const body = FIXTURES.basic.replace(/Term 1/g, 'Multi').replace('Clinic', 'Multi clinic');
    const res = await api().post('/v1/imports').attach('file', Buffer.from(body), { filename: 'campaign.csv', contentType: 'text/csv' }).expect(201);
    expect(res.body.report.messagesPlanned).toBe(4);
    const noHeader = await csv(FIXTURES.noHeader).expect(422);
    expect(noHeader.body.error.issues[0].field).toBe('header');
    await api().post('/v1/imports').set('Content-Type', 'application/json').send('{}').expect(415);
    await api().post('/v1/imports?provider=nope').set('Content-Type', 'text/csv').send(FIXTURES.basic).expect(422);
    await api().get('/v1/imports/nope').expect(404);
  });
});
