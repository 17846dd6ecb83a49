// The embedded default as `npm start` runs it: one `herald all` process on the SQLite store and
// the embedded SQLite queue (no MongoDB, no RabbitMQ), in a data folder of its own per phase.
// The bench seeds that folder's herald.db directly and reads the counts back from it.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Notification } from '../src/domain/types';
import { createSqliteStore } from '../src/store/sqlite';
import type { HeraldUnderTest, PhaseEnv } from './context';
import { createBenchProgram, type MessageMatch } from './fixtures';
import { freePort, startHeraldChild } from './processes';

export interface EmbeddedInstallation {
  env: PhaseEnv;
  /** A program with the bench's event type, and `count` SMS subscribers. */
  seed(programId: string, prefix: string, count: number, phoneBase: number): Promise<void>;
  close(): Promise<void>;
}

const where = (m: MessageMatch): { sql: string; v: string } =>
  'notificationId' in m ? { sql: '"notificationId" = ?', v: m.notificationId } : { sql: '"programId" = ?', v: m.programId };

/** A fresh data folder under `dir` with its store created; Herald is started per phase by `env.launch`. */
export async function embeddedInstallation(
  dir: string,
  name: string,
  overrides: Record<string, unknown>,
  say: (s: string) => void,
  cpuProfileDir?: string,
): Promise<EmbeddedInstallation> {
  const dataDir = path.join(dir, name, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'herald.db');
  const store = createSqliteStore(file);
  await store.connect();
  await store.workspaces.ensure({ id: 'default', name: 'Default' });
  // The bench's own reads: a separate connection, read-only use (WAL lets Herald write meanwhile).
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  const env: PhaseEnv = {
    dir: path.join(dir, name),
    say,
    services: () => ({}),
    db: {
      async countByStatus(m) {
        const w = where(m);
        const rows = db.prepare(`SELECT "status" AS s, COUNT(*) AS n FROM messages WHERE ${w.sql} GROUP BY "status"`).all(w.v) as Array<{ s: string; n: number }>;
        return Object.fromEntries(rows.map((r) => [r.s, r.n]));
      },
      async lastSentAt(m) {
        const w = where(m);
        const r = db.prepare(`SELECT MAX("sentAt") AS t FROM messages WHERE ${w.sql} AND "status" = 'sent'`).get(w.v) as { t: number | null };
        return r.t === null ? undefined : new Date(r.t);
      },
      notification: (id): Promise<Notification | null> => store.notifications.get(id),
    },
    async launch(sink, tag): Promise<HeraldUnderTest> {
      const port = await freePort();
      const prof = cpuProfileDir ? { dir: cpuProfileDir } : undefined;
      const herald = await startHeraldChild(
        path.join(dir, name),
        `${tag}-all`,
        'all',
        { host: '127.0.0.1', seedDemoData: 'never', dispatchPort: port, dataDir, ...overrides, 'providers.sms': sink.providers },
        prof,
      );
      return {
        url: `http://127.0.0.1:${port}`,
        pids: { herald: herald.pid },
        sample: () => void herald.peakRssMb(),
        stop: async () => ({ herald: await herald.stop() }),
      };
    },
  };
  return {
    env,
    async seed(programId, prefix, count, phoneBase) {
      await createBenchProgram(store, programId);
      const now = Date.now();
      const user = db.prepare(`INSERT INTO users ("workspaceId", "id", "name", "phone", "createdAt", "updatedAt") VALUES ('default', ?, ?, ?, ?, ?)`);
      const sub = db.prepare(
        `INSERT INTO subscriptions ("workspaceId", "id", "userId", "programId", "eventTypeId", "scope", "channels", "createdAt", "updatedAt")
         VALUES ('default', ?, ?, ?, NULL, '*', '["sms"]', ?, ?)`,
      );
      const BATCH = 10_000;
      for (let from = 0; from < count; from += BATCH) {
        db.transaction(() => {
          for (let i = from; i < Math.min(count, from + BATCH); i++) {
            const userId = `${prefix}-${String(i + 1).padStart(6, '0')}`;
            user.run(userId, `User ${i + 1}`, `+2547${String(phoneBase + i).padStart(8, '0')}`, now, now);
            sub.run(`s-${userId}`, userId, programId, now, now);
          }
        })();
      }
    },
    async close() {
      db.close();
      await store.close();
    },
  };
}
