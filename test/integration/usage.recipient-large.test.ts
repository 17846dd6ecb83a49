// A recipient with very many messages: its usage is counted from them, so the read must not hold them
// all at once. A process with a small heap (a server with a large recipient, in proportion) answers it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NewMessage } from '../../src/store/store';
import { createSqliteStore } from '../../src/store/sqlite';

const MESSAGES = 60_000;
const HOUR = 3_600_000;

describe('usage of a recipient with very many messages (SQLite)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-usage-large-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is answered by a process whose heap could not hold them all, with every message counted', async () => {
    const file = path.join(dir, 'herald.db');
    const store = createSqliteStore(file);
    await store.connect();
    const now = Date.now();
    const hour = now - (now % HOUR);
    for (let i = 0; i < MESSAGES; i += 2000) {
      const batch: NewMessage[] = [];
      for (let j = i; j < i + 2000; j++) {
        // Over the last three hours (the current one included); a tenth failed and refunded.
        const at = new Date(hour - (j % 3) * HOUR + 1000);
        const failed = j % 10 === 0;
        batch.push({
          id: `m${j}`, workspaceId: 'default', notificationId: `n${j}`, programId: 'p', eventTypeId: 'e', userId: 'big', channel: 'sms', to: '+15550000000',
          content: { text: 'Your session is scheduled for tomorrow at 10:00. Reply STOP to opt out.' },
          sms: { encoding: 'GSM-7', segments: 2, parts: ['Your session is scheduled', 'for tomorrow at 10:00.'] },
          status: failed ? 'failed' : 'delivered', provider: 'twilio', ...(failed ? {} : { sentAt: at }), cost: 200,
          statusHistory: ['accepted', 'queued', 'sending', failed ? 'failed' : 'sent', ...(failed ? [] : ['delivered'])].map((status) => ({ status: status as NewMessage['status'], at, reason: 'x'.repeat(40) })),
          validUntil: new Date(now + 48 * HOUR), attempts: 1,
        });
      }
      await store.messages.insertMany(batch);
    }
    await store.close();

    const child = spawnSync(process.execPath, ['--max-old-space-size=48', '-r', 'tsx/cjs', path.join(__dirname, '../support/read-recipient-usage.ts'), file, 'big'], {
      encoding: 'utf8', cwd: path.join(__dirname, '../..'), maxBuffer: 1 << 20,
    });
    expect({ status: child.status, signal: child.signal, stderr: child.stderr.slice(-300) }).toEqual({ status: 0, signal: null, stderr: '' });
    const hours = JSON.parse(child.stdout) as Array<{ hour: string; counts: Record<string, number> }>;
    expect(hours.map((h) => h.hour)).toEqual([2, 1, 0].map((k) => new Date(hour - k * HOUR).toISOString()));
    const sum = (c: string) => hours.reduce((n, h) => n + h.counts[c], 0);
    expect([sum('delivered'), sum('failed'), sum('segments'), sum('creditsCharged'), sum('creditsRefunded')]).toEqual([54_000, 6_000, 108_000, 12_000_000, 1_200_000]);
  }, 120_000);
});
