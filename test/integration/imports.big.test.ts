// A 100,000-row file imports in seconds on the embedded store, streamed (the 1,000,000-row
// bounded-memory run is in the bench: npm run bench -- --only import).
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { writeBigCsv } from '../support/csv-fixtures';
import { startTestHerald, tempDir, testConfig } from '../support/herald';

const ROWS = 100_000;

describe('a 100,000-row CSV import (embedded)', () => {
  let herald: RunningHerald;
  const dir = tempDir('herald-big-csv-');
  const file = path.join(dir, 'big.csv');

  beforeAll(async () => {
    // Tomorrow: the campaigns wait, so the test measures the import alone.
    await writeBigCsv(file, ROWS, 10, 'tomorrow');
    herald = await startTestHerald(testConfig('embedded', { 'log.level': 'info' }));
  }, 60_000);

  afterAll(async () => {
    await herald?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Speed is the bench's figure (rows per second); a timed assertion here would only measure the machine's load.
  it('imports every row, one message per distinct number per campaign', async () => {
    const started = Date.now();
    const res = await request(herald.url!).post('/v1/imports').set('Content-Type', 'text/csv').send(fs.readFileSync(file)).expect(201);
    const seconds = (Date.now() - started) / 1000;
    const repeats = Math.floor(ROWS / 50);
    expect(res.body.report).toMatchObject({ rowsRead: ROWS, rowsImported: ROWS, campaignsCreated: 10, messagesPlanned: ROWS - repeats, duplicates: repeats, contactsCreated: ROWS - repeats, rejectedTotal: 0 });
    // Every 50th row repeats the number before it, in that number's campaign (Big 8): one message each, and Big 9 lacks those rows.
    expect((await herald.store.campaigns.getByName('default', 'Big 8'))?.recipients).toBe(ROWS / 10);
    expect((await herald.store.campaigns.getByName('default', 'Big 9'))?.recipients).toBe(ROWS / 10 - repeats);
    console.log(`100,000-row import: ${seconds.toFixed(1)} s`);
  }, 180_000);
});
