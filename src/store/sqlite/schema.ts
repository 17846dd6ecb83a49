// SQLite tables: real columns for everything queried or indexed, JSON text for nested shapes.
// Dates are INTEGER milliseconds since the epoch (sortable, exact to the millisecond like BSON).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CREDITS_DDL } from './repos-credits';
import { DROP_USER_ROWS, USAGE_DDL } from './repos-usage';
import { SEARCH_DDL } from './repos-search';
import { CAMPAIGNS_DDL } from './repos-campaigns';
import { CONTACTS_DDL } from './repos-contacts';
import { SHEETS_DDL } from './repos-sheets';
import { WEBHOOKS_DDL } from './repos-webhooks';
import { MESSAGE_SWEEPS_DDL } from './message-sweeps';
import { PROVIDER_IDS_DDL } from './message-provider-ids';
import { setCheckpointing } from './checkpoint';
import { closeOnThrow } from './close-on-throw';

export const SCHEMA_VERSION = 4;

const DDL = `
CREATE TABLE IF NOT EXISTS workspaces (
  "id" TEXT PRIMARY KEY, "name" TEXT NOT NULL, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL, "role" TEXT NOT NULL, "name" TEXT NOT NULL, "prefix" TEXT NOT NULL,
  "hash" TEXT NOT NULL, "lastUsedAt" INTEGER, "revokedAt" INTEGER, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS api_keys_workspace ON api_keys ("workspaceId", "createdAt", "id");
-- One row per (key, window start): requests counted in that window by every server process.
CREATE TABLE IF NOT EXISTS rate_limits (
  "key" TEXT NOT NULL, "windowStart" INTEGER NOT NULL, "hits" INTEGER NOT NULL, "expiresAt" INTEGER NOT NULL,
  PRIMARY KEY ("key", "windowStart")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rate_limits_expires ON rate_limits ("expiresAt");
CREATE TABLE IF NOT EXISTS programs (
  "workspaceId" TEXT NOT NULL, "id" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL,
  PRIMARY KEY ("workspaceId", "id")
);
CREATE TABLE IF NOT EXISTS event_types (
  "workspaceId" TEXT NOT NULL, "programId" TEXT NOT NULL, "id" TEXT NOT NULL, "name" TEXT NOT NULL, "description" TEXT,
  "templates" TEXT NOT NULL, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL,
  "templateSets" TEXT, "recipientPaths" TEXT, "rules" TEXT,
  PRIMARY KEY ("workspaceId", "programId", "id")
);
CREATE TABLE IF NOT EXISTS users (
  "workspaceId" TEXT NOT NULL, "id" TEXT NOT NULL, "name" TEXT NOT NULL, "phone" TEXT, "email" TEXT, "locale" TEXT, "timezone" TEXT,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL,
  PRIMARY KEY ("workspaceId", "id")
);
CREATE TABLE IF NOT EXISTS subscriptions (
  "workspaceId" TEXT NOT NULL, "id" TEXT NOT NULL, "userId" TEXT NOT NULL, "programId" TEXT NOT NULL, "eventTypeId" TEXT,
  "scope" TEXT NOT NULL, "channels" TEXT NOT NULL, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL,
  PRIMARY KEY ("workspaceId", "id")
);
CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_user_scope ON subscriptions ("workspaceId", "userId", "programId", "scope");
CREATE INDEX IF NOT EXISTS subscriptions_fanout ON subscriptions ("workspaceId", "programId", "scope", "userId");
CREATE TABLE IF NOT EXISTS notifications (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL DEFAULT 'default', "programId" TEXT NOT NULL, "eventTypeId" TEXT NOT NULL,
  "startTime" INTEGER NOT NULL, "endTime" INTEGER, "validUntil" INTEGER NOT NULL, "data" TEXT NOT NULL,
  "status" TEXT NOT NULL, "source" TEXT NOT NULL, "idempotencyKey" TEXT, "warnings" TEXT, "requestedWindow" TEXT,
  "dispatchCursor" TEXT, "dispatchMessages" INTEGER NOT NULL, "dispatchStartedAt" INTEGER, "dispatchFinishedAt" INTEGER,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL, "recipients" TEXT, "rules" TEXT, "subscribers" INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_status_updated ON notifications ("status", "updatedAt");
CREATE INDEX IF NOT EXISTS notifications_status_start ON notifications ("status", "startTime");
CREATE INDEX IF NOT EXISTS notifications_program_created ON notifications ("programId", "createdAt");
CREATE INDEX IF NOT EXISTS notifications_workspace_created ON notifications ("workspaceId", "createdAt");
CREATE INDEX IF NOT EXISTS notifications_idempotency ON notifications ("idempotencyKey");
CREATE TABLE IF NOT EXISTS messages (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL DEFAULT 'default', "notificationId" TEXT NOT NULL, "programId" TEXT NOT NULL, "eventTypeId" TEXT NOT NULL,
  "userId" TEXT NOT NULL, "channel" TEXT NOT NULL, "to" TEXT NOT NULL, "content" TEXT NOT NULL, "sms" TEXT,
  "status" TEXT NOT NULL, "statusHistory" TEXT NOT NULL, "validUntil" INTEGER NOT NULL, "attempts" INTEGER NOT NULL,
  "provider" TEXT, "providerMessageIds" TEXT, "providerStatus" TEXT, "error" TEXT, "possibleDuplicate" INTEGER,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL, "sentAt" INTEGER, "deliveredAt" INTEGER, "leaseUntil" INTEGER,
  "partStatuses" TEXT, "cost" INTEGER
);
CREATE INDEX IF NOT EXISTS messages_notification_status ON messages ("notificationId", "status");
CREATE INDEX IF NOT EXISTS messages_notification_created ON messages ("notificationId", "createdAt", "id");
CREATE INDEX IF NOT EXISTS messages_created ON messages ("createdAt", "id");
-- A recipient's usage (repos-usage.ts): its messages by creation time. Written at insert only (never changes).
CREATE INDEX IF NOT EXISTS messages_workspace_user_created ON messages ("workspaceId", "userId", "createdAt");
-- providerMessageIds is a JSON array; this side table, kept by triggers, makes it searchable.
CREATE TABLE IF NOT EXISTS message_provider_ids (
  "providerMessageId" TEXT NOT NULL, "messageId" TEXT NOT NULL, PRIMARY KEY ("providerMessageId", "messageId")
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS messages_pids_insert AFTER INSERT ON messages
WHEN NEW."providerMessageIds" IS NOT NULL BEGIN
  INSERT OR IGNORE INTO message_provider_ids SELECT value, NEW."id" FROM json_each(NEW."providerMessageIds");
END;
-- Updates of providerMessageIds keep the side table themselves (repos-messages.ts): a trigger made
-- every sent record pay for trigger and statement-journal work (~14 µs a message).
DROP TRIGGER IF EXISTS messages_pids_update;
CREATE TABLE IF NOT EXISTS provider_control (
  "id" TEXT PRIMARY KEY, "channel" TEXT NOT NULL, "paused" INTEGER NOT NULL, "order" INTEGER NOT NULL, "weight" REAL NOT NULL,
  "ratePerSecond" INTEGER, "sent" INTEGER NOT NULL, "failed" INTEGER NOT NULL, "circuitOpenUntil" INTEGER, "updatedAt" INTEGER NOT NULL
);
-- One row per provider: the start of its next free send slot (GCRA), shared by every process.
CREATE TABLE IF NOT EXISTS provider_slots ("providerId" TEXT PRIMARY KEY, "tat" INTEGER NOT NULL) WITHOUT ROWID;
DROP TABLE IF EXISTS provider_tokens;
CREATE TABLE IF NOT EXISTS logs (
  "seq" INTEGER PRIMARY KEY AUTOINCREMENT, "time" INTEGER NOT NULL, "level" TEXT NOT NULL, "levelRank" INTEGER NOT NULL,
  "process" TEXT NOT NULL, "message" TEXT NOT NULL, "notificationId" TEXT, "messageId" TEXT, "meta" TEXT, "workspaceId" TEXT
);
CREATE INDEX IF NOT EXISTS logs_workspace ON logs ("workspaceId", "seq");
CREATE INDEX IF NOT EXISTS logs_notification ON logs ("notificationId", "seq");
CREATE INDEX IF NOT EXISTS logs_message ON logs ("messageId", "seq");
CREATE INDEX IF NOT EXISTS logs_time ON logs ("time");
CREATE TABLE IF NOT EXISTS idempotency_keys (
  "scope" TEXT NOT NULL, "key" TEXT NOT NULL, "token" TEXT NOT NULL, "bodyHash" TEXT NOT NULL, "state" TEXT NOT NULL,
  "notificationId" TEXT NOT NULL, "expiresAt" INTEGER NOT NULL, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL,
  PRIMARY KEY ("scope", "key")
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires ON idempotency_keys ("expiresAt");
`;

function addMissingColumn(db: Database.Database, table: string, column: string, type: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN "${column}" ${type}`);
}

const RULES_COLUMNS: Array<[string, string]> = [
  ['event_types', 'templateSets'], ['event_types', 'recipientPaths'], ['event_types', 'rules'],
  ['notifications', 'recipients'], ['notifications', 'rules'],
];

/** Opens (creating folder and file if needed) with durable settings: a 202 must survive kill -9. */
export function openDatabase(file: string): Database.Database {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  return closeOnThrow(db, () => setUp(db, inMemory));
}

function setUp(db: Database.Database, inMemory: boolean): Database.Database {
  db.pragma('busy_timeout = 5000');
  if (!inMemory) db.pragma('journal_mode = WAL');
  // Checkpoints on the checkpoint thread where one runs (checkpoint.ts); SQLite's own at a larger WAL as the fallback.
  if (!inMemory) setCheckpointing(db);
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = OFF');
  // Statement journals (an UPDATE whose trigger writes another table, e.g. the provider ids of a
  // `sent` record) in memory, not in a temporary file: about 20 µs of file I/O less per such row.
  // Durability is the WAL's; a statement journal only undoes a statement inside its transaction.
  db.pragma('temp_store = MEMORY');
  const version = db.pragma('user_version', { simple: true }) as number;
  migrate(db);
  // Files made before this column existed get it.
  addMissingColumn(db, 'notifications', 'requestedWindow', 'TEXT');
  // Version 3: recipients and rules (JSON) on event types and notifications.
  for (const [table, column] of RULES_COLUMNS) addMissingColumn(db, table, column, 'TEXT');
  addMissingColumn(db, 'notifications', 'subscribers', 'INTEGER');
  db.exec(CREDITS_DDL);
  db.exec(USAGE_DDL);
  // Version 4: a recipient's usage is counted from its messages; the counter rows kept for it before go.
  if (version < 4) db.exec(DROP_USER_ROWS);
  db.exec(SEARCH_DDL);
  db.exec(MESSAGE_SWEEPS_DDL);
  db.exec(PROVIDER_IDS_DDL);
  addMissingColumn(db, 'messages', 'campaignId', 'TEXT');
  db.exec(CAMPAIGNS_DDL);
  db.exec(CONTACTS_DDL);
  db.exec(SHEETS_DDL);
  db.exec(WEBHOOKS_DDL);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}

/** Catalog tables whose key gained workspaceId: rebuilt once, their rows moved to the default workspace. */
const REKEYED: Readonly<Record<string, string[]>> = {
  programs: ['id', 'name', 'description', 'createdAt', 'updatedAt'],
  event_types: ['programId', 'id', 'name', 'description', 'templates', 'createdAt', 'updatedAt'],
  users: ['id', 'name', 'phone', 'email', 'locale', 'timezone', 'createdAt', 'updatedAt'],
  subscriptions: ['id', 'userId', 'programId', 'eventTypeId', 'scope', 'channels', 'createdAt', 'updatedAt'],
};

/** Brings a file of any earlier version to this schema in one transaction (records before workspaces belong to 'default'). */
function migrate(db: Database.Database): void {
  const columns = (t: string) => (db.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>).map((c) => c.name);
  const exists = (t: string) => columns(t).length > 0;
  const lacks = (t: string, c: string) => exists(t) && !columns(t).includes(c);
  db.transaction(() => {
    const rekey = Object.keys(REKEYED).filter((t) => lacks(t, 'workspaceId'));
    for (const t of rekey) {
      db.exec(`ALTER TABLE ${t} RENAME TO ${t}_v1`);
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(`${t}_v1`) as Array<{ name: string }>;
      for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`);
    }
    for (const t of ['notifications', 'messages']) if (lacks(t, 'workspaceId')) db.exec(`ALTER TABLE ${t} ADD COLUMN "workspaceId" TEXT NOT NULL DEFAULT 'default'`);
    if (lacks('logs', 'workspaceId')) db.exec('ALTER TABLE logs ADD COLUMN "workspaceId" TEXT');
    if (lacks('messages', 'partStatuses')) db.exec('ALTER TABLE messages ADD COLUMN "partStatuses" TEXT');
    if (lacks('messages', 'cost')) db.exec('ALTER TABLE messages ADD COLUMN "cost" INTEGER');
    db.exec(DDL);
    for (const t of rekey) {
      const cols = REKEYED[t].map((c) => `"${c}"`).join(', ');
      db.exec(`INSERT INTO ${t} ("workspaceId", ${cols}) SELECT 'default', ${cols} FROM ${t}_v1; DROP TABLE ${t}_v1;`);
    }
  })();
}
