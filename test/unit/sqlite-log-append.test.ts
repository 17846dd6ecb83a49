// The consolidated log's append on SQLite (src/store/sqlite/repos-logs.ts) writes a batch in multi-row
// INSERTs of 64, 16, 4 and 1 lines: every line lands once, in the batch's order (seq), fields intact.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqliteStore, type SqliteStore } from '../../src/store/sqlite';
import type { LogLine } from '../../src/domain/types';

describe('sqlite log append', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-append-'));
    store = createSqliteStore(path.join(dir, 'h.db'));
    await store.connect();
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const line = (i: number): LogLine => ({
    time: new Date(1_700_000_000_000 + i), level: i % 7 === 0 ? 'warn' : 'info', process: 'test', message: `line ${i}`,
    workspaceId: 'default', notificationId: i % 2 ? 'n1' : undefined, messageId: `n1:u${i}:sms`, meta: i % 3 ? { i } : undefined,
  });

  it.each([1, 3, 5, 64, 85, 150])('a batch of %i lines comes back whole and in order', async (n) => {
    await store.logs.append(Array.from({ length: n }, (_, i) => line(i)));
    await store.logs.append([line(n)]);
    const got = await store.logs.query({ limit: 1000 });
    expect(got.map((l) => l.message)).toEqual(Array.from({ length: n + 1 }, (_, i) => `line ${i}`));
    expect(got.map((l) => l.seq)).toEqual([...got.map((l) => l.seq)].sort((a, b) => Number(a) - Number(b)));
    expect(new Set(got.map((l) => l.seq)).size).toBe(n + 1);
    const last = got[n - 1];
    expect(last).toMatchObject({ level: (n - 1) % 7 === 0 ? 'warn' : 'info', messageId: `n1:u${n - 1}:sms`, time: new Date(1_700_000_000_000 + n - 1) });
    expect(last.meta).toEqual((n - 1) % 3 ? { i: n - 1 } : undefined);
    expect(await store.logs.query({ limit: 1000, level: 'warn' })).toHaveLength(Array.from({ length: n + 1 }, (_, i) => i).filter((i) => i % 7 === 0).length);
  });
});
