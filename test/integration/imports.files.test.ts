// Real-world CSV files an operator exports from Excel (QA of #11): a file saved in a legacy
// encoding (Windows-1252, Excel's default "CSV" on Windows) must not send mangled text to
// thousands of people; each bad row is reported with its line and the column as the file spells it.
import fs from 'node:fs';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { startTestHerald, tempDir, testConfig } from '../support/herald';

describe('CSV imports of real-world files (embedded)', () => {
  let herald: RunningHerald;
  const dir = tempDir('herald-csv-files-');
  const api = () => request(herald.url!);
  const csv = (body: string | Buffer, query = '') => api().post(`/v1/imports${query}`).set('Content-Type', 'text/csv').send(body);

  beforeAll(async () => {
    herald = await startTestHerald(testConfig('embedded', { 'phone.defaultRegion': 'KE', 'credits.defaultBalance': 1000 }));
  }, 60_000);

  afterAll(async () => {
    await herald?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a row that is not UTF-8 (a Windows-1252 file) naming its line and column, and writes nothing', async () => {
    const latin1 = Buffer.concat([Buffer.from('message,recepient_nos,campaign\n'), Buffer.from('Caf\xe9 ouvert \xe0 9h,0712345678,Latin\n', 'latin1')]);
    const res = await csv(latin1).expect(422);
    expect(res.body.import.report.rejected).toEqual([{ line: 2, column: 'message', reason: expect.stringMatching(/UTF-8/) }]);
    expect(await herald.store.campaigns.getByName('default', 'Latin')).toBeFalsy();
  });

  it('names the numbers column as the file spells it (recipient_nos)', async () => {
    const res = await csv('message,recipient_nos,campaign\nhi,12345,Spelling\n').expect(422);
    expect(res.body.import.report.rejected).toEqual([{ line: 2, column: 'recipient_nos', reason: expect.stringMatching(/12345/) }]);
    expect(res.body.error.issues[0].field).toBe('line 2: recipient_nos');
  });

  it('is one import when the same file and Idempotency-Key arrive at once (a client retrying); a 409 names the key', async () => {
    const body = 'message,recepient_nos,campaign,sending_time\nhi,0712999001,Retried,2030-01-31 08:00\nho,0712999002,Retried,2030-01-31 08:00\n';
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => csv(body).set('Idempotency-Key', 'retried-1')));
    for (const a of answers) {
      expect([200, 201, 409]).toContain(a.status);
      if (a.status === 409) expect(a.body.error.issues).toEqual([{ field: 'Idempotency-Key', reason: expect.any(String) }]);
    }
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const c = await herald.store.campaigns.getByName('default', 'Retried');
    expect(c).toMatchObject({ recipients: 2 });
  });

  it('rejects a message whose placeholder names no column (a typo would send "Dear ," to everyone); a blank cell is fine', async () => {
    const res = await csv('message,recepient_nos,campaign,name\n"Dear {{nmae}}, fees are due",0712345678,Typo,Amina\n').expect(422);
    expect(res.body.import.report.rejected).toEqual([{ line: 2, column: 'message', reason: expect.stringMatching(/nmae/) }]);
    expect(await herald.store.campaigns.getByName('default', 'Typo')).toBeFalsy();
    const ok = await csv('message,recepient_nos,campaign,name\n"Dear {{name}}, fees are due",0712345678,Blank,\n').expect(201);
    expect(ok.body.report.rowsImported).toBe(1);
  });

  it('refuses a multipart body with two files (the second was silently dropped), writing nothing', async () => {
    const a = Buffer.from('message,recepient_nos,campaign\nhi,0712345601,Two A\n');
    const b = Buffer.from('message,recepient_nos,campaign\nhi,0712345602,Two B\n');
    const res = await api().post('/v1/imports').attach('file', a, 'a.csv').attach('more', b, 'b.csv');
    expect(res.status).toBe(400);
    expect(res.body.error.issues).toEqual([{ field: 'file', reason: expect.stringMatching(/one file/) }]);
    expect(await herald.store.campaigns.getByName('default', 'Two A')).toBeFalsy();
    const one = await api().post('/v1/imports').attach('file', a, 'a.csv').field('note', 'x').expect(201);
    expect(one.body.report.rowsImported).toBe(1);
  });

  it('answers a multipart body cut short after the file with 400, not a hang', async () => {
    const body = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nmessage,recepient_nos,campaign\r\nhi,0712345601,Cut\r\n';
    const res = await api().post('/v1/imports').set('Content-Type', 'multipart/form-data; boundary=XYZ').send(body).timeout(10_000);
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].field).toBe('body');
    expect(await herald.store.campaigns.getByName('default', 'Cut')).toBeFalsy();
  });

  it('refuses a campaign from JSON whose sendAt is older than its validity (it was accepted, then "completed" sending nothing)', async () => {
    const body = { name: 'Too late', message: 'hi', recipients: [{ phone: '+254712345678' }], sendAt: new Date(Date.now() - 30 * 86_400_000).toISOString() };
    const res = await api().post('/v1/campaigns').send(body).expect(422);
    expect(res.body.error.issues).toEqual([{ field: 'sendAt', reason: expect.stringMatching(/validity/) }]);
    expect(await herald.store.campaigns.getByName('default', 'Too late')).toBeFalsy();
    const recent = { ...body, name: 'Just late', sendAt: new Date(Date.now() - 3_600_000).toISOString() };
    await api().post('/v1/campaigns').send(recent).expect(201);
  });

  it('reports a rejected file as importing nothing (it said rowsImported 1, campaignsCreated 1 beside "nothing was imported")', async () => {
    const res = await csv('message,recepient_nos,campaign\nhi,0712345611,Half\nhi,12345,Half\n').expect(422);
    expect(res.body.import.report).toMatchObject({ rowsRead: 2, rowsImported: 0, campaignsCreated: 0, contactsCreated: 0, messagesPlanned: 0, rejectedTotal: 1, campaigns: [] });
    expect(await herald.store.campaigns.getByName('default', 'Half')).toBeFalsy();
  });
});
