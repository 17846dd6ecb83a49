// An idle embedded queue (`npm start` with nothing to send) is looked at every pollMs by each consumer.
// Such a look used to be a claim: BEGIN IMMEDIATE (the file's write lock), COMMIT and an fsync of the
// WAL, tens of times a second with nothing to do. A look that finds nothing ready now reads only:
// no fsync, and the write lock another process holds on the file neither stalls nor fails the
// consumer. Jobs still arrive: from another process (seen at the next poll), delayed, or published here.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Bus, Delivery } from '../../src/bus/bus';
import { createEmbeddedBus } from '../../src/bus/embedded';
import type { Logger } from '../../src/log/logger';
import { sleep, waitFor } from '../contract/bus.contract';
import { tempDir } from '../support/herald';
import { jobsLeft as jobsLeftIn } from '../support/queue-file';

const POLL_MS = 20;

/** Every fsync this process asks of a file through node:fs/promises (what the embedded queue's group commit uses). */
async function countFsyncs(): Promise<{ count: () => number; restore: () => void }> {
  const probe = path.join(tempDir('idle-poll-probe-'), 'probe');
  const h = await fsp.open(probe, 'w');
  const proto = Object.getPrototypeOf(h) as { sync: () => Promise<void>; datasync: () => Promise<void> };
  await h.close();
  const sync = jest.spyOn(proto, 'sync');
  const datasync = jest.spyOn(proto, 'datasync');
  return {
    count: () => sync.mock.calls.length + datasync.mock.calls.length,
    restore: () => {
      sync.mockRestore();
      datasync.mockRestore();
    },
  };
}

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string, fields?: object) => lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  return { logger: { warn: keep('warn'), error: keep('error'), info: () => undefined, debug: () => undefined } as unknown as Logger, lines };
}

describe('embedded queue: an idle consumer', () => {
  let file = '';
  const buses: Bus[] = [];
  const others: Database.Database[] = [];

  beforeEach(() => {
    file = path.join(tempDir('idle-poll-'), 'queue.db');
  });

  afterEach(async () => {
    for (const db of others.splice(0)) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    }
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  const jobsLeft = (): number => jobsLeftIn(file);

  test('polls without an fsync while nothing is ready, and still takes what is published', async () => {
    const bus = createEmbeddedBus({ file, pollMs: POLL_MS });
    buses.push(bus);
    const got: string[] = [];
    await bus.consume('sms', async (d: Delivery) => (got.push((d.body as { id: string }).id), { action: 'ack' }), { prefetch: 4 });
    // One job through first: the queue's WAL file and its handle are open, as in a running Herald.
    await bus.publish('sms', { id: 'first' });
    await waitFor(() => got.length === 1 && jobsLeft() === 0, 5000, 'first job acked');
    await sleep(5 * POLL_MS);

    const fsyncs = await countFsyncs();
    try {
      const walBefore = fs.statSync(`${file}-wal`);
      await sleep(15 * POLL_MS);
      // Fifteen poll periods with nothing to do: nothing flushed to disk, nothing written.
      expect(fsyncs.count()).toBe(0);
      const walAfter = fs.statSync(`${file}-wal`);
      expect([walAfter.size, walAfter.mtimeMs]).toEqual([walBefore.size, walBefore.mtimeMs]);

      // A publish is durable (fsynced) and reaches the consumer at once.
      await bus.publish('sms', { id: 'second' });
      expect(fsyncs.count()).toBeGreaterThan(0);
      await waitFor(() => got.length === 2, 5000, 'second job');
    } finally {
      fsyncs.restore();
    }
    expect(got).toEqual(['first', 'second']);
  });

  test('is neither stalled nor failed by the write lock another process holds, and takes the job that process queued', async () => {
    const { logger, lines } = recordingLogger();
    const bus = createEmbeddedBus({ file, pollMs: POLL_MS, logger });
    buses.push(bus);
    const got: string[] = [];
    await bus.consume('sms', async (d: Delivery) => (got.push((d.body as { id: string }).id), { action: 'ack' }), { prefetch: 4 });
    await sleep(3 * POLL_MS);

    // Another process (a second Herald, a sqlite3 shell) holds the queue file's write lock, then queues a job.
    const other = new Database(file);
    others.push(other);
    other.exec('BEGIN IMMEDIATE');
    // Polls meanwhile: a claim would wait for the lock in SQLite's busy handler (5 s, this thread's event loop
    // blocked), then fail with SQLITE_BUSY.
    await sleep(10 * POLL_MS);
    other
      .prepare(`INSERT INTO bus_jobs (queue, body, headers, message_id, attempt, available_at, created_at) VALUES ('sms', ?, '{}', NULL, 1, ?, ?)`)
      .run(Buffer.from(JSON.stringify({ id: 'from-another-process' })), Date.now(), Date.now());
    other.exec('COMMIT');

    // No wake-up crosses processes: the next poll finds it.
    await waitFor(() => got.length === 1, 5000, 'job queued by another process');
    expect(got).toEqual(['from-another-process']);
    expect(lines.filter((l) => l.includes('claim failed'))).toEqual([]);
  }, 20_000);
});
