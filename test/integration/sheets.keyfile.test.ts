// A Sheets export's keyFile is a path the admin types: one that is not a small regular file
// (a device such as /dev/zero, a named pipe, a huge file) is refused with 422 naming keyFile,
// instead of hanging the server or exhausting its memory (found by hand: /dev/zero killed it).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { tempDir } from '../support/herald';
import { makeApp, type TestApp } from './http.support';

let t: TestApp;
const dir = tempDir('herald-sheets-keyfile-');

beforeAll(async () => {
  t = await makeApp();
  await request(t.app).post('/v1/programs').send({ id: 'shop', name: 'Shop' }).expect(201);
});
afterAll(async () => {
  await t.store.close();
});

const register = (keyFile: string) =>
  request(t.app).post('/v1/programs/shop/exports').send({ spreadsheetId: 'sheet-1', sheetName: 'Events', keyFile });

test.each([
  ['a device that never ends', () => '/dev/zero', /not a regular file/],
  ['a named pipe nobody writes to', () => {
    const fifo = path.join(dir, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    return fifo;
  }, /not a regular file/],
  ['a file far larger than any key', () => {
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, JSON.stringify({ client_email: 'a@b.c', private_key: 'PRIVATE KEY', pad: 'x'.repeat(1_000_000) }));
    return big;
  }, /larger than/],
])('keyFile naming %s is refused with 422 naming keyFile, and nothing is stored', async (_what, make, reason) => {
  const r = await register(make());
  expect(r.status).toBe(422);
  expect(r.body.error.issues).toEqual([expect.objectContaining({ field: 'keyFile', reason: expect.stringMatching(reason) })]);
  expect((await request(t.app).get('/v1/programs/shop/exports').expect(200)).body.items).toEqual([]);
}, 15_000);
