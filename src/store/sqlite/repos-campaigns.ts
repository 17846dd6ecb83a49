// Campaigns, contacts, recipients and imports in SQLite: insert-or-ignore on natural keys makes
// every bulk add idempotent; status changes are compare-and-set UPDATEs.
import type { Campaign, CampaignRecipient, Contact, ImportRecord } from '../../domain/campaigns';
import type { CampaignRepo } from '../store';
import { OWNED_IMMUTABLE, splitPatch } from '../common';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';
import { pageOf } from './repos-catalog';

export const CAMPAIGNS_DDL = `
CREATE TABLE IF NOT EXISTS contacts (
  "workspaceId" TEXT NOT NULL, "id" TEXT NOT NULL, "phone" TEXT NOT NULL, "name" TEXT, "data" TEXT,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL,
  PRIMARY KEY ("workspaceId", "id")
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS campaigns (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL, "name" TEXT NOT NULL, "channel" TEXT NOT NULL, "message" TEXT NOT NULL,
  "provider" TEXT, "strictProvider" INTEGER, "sendAt" INTEGER, "validityHours" REAL NOT NULL, "validUntil" INTEGER,
  "status" TEXT NOT NULL, "pauseReason" TEXT, "recipients" INTEGER NOT NULL, "run" TEXT NOT NULL, "importId" TEXT, "warnings" TEXT,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS campaigns_name ON campaigns ("workspaceId", "name");
CREATE INDEX IF NOT EXISTS campaigns_status_send ON campaigns ("status", "sendAt");
CREATE INDEX IF NOT EXISTS campaigns_workspace_created ON campaigns ("workspaceId", "createdAt", "id");
CREATE TABLE IF NOT EXISTS campaign_recipients (
  "campaignId" TEXT NOT NULL, "contactId" TEXT NOT NULL, "to" TEXT NOT NULL, "text" TEXT NOT NULL,
  PRIMARY KEY ("campaignId", "contactId")
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS imports (
  "id" TEXT PRIMARY KEY, "workspaceId" TEXT NOT NULL, "status" TEXT NOT NULL, "dryRun" INTEGER NOT NULL, "onError" TEXT NOT NULL,
  "provider" TEXT, "report" TEXT NOT NULL, "idempotencyKey" TEXT, "bodyHash" TEXT, "error" TEXT,
  "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS imports_key ON imports ("workspaceId", "idempotencyKey");
`;

const contacts: TableCodec = {
  table: 'contacts',
  columns: { workspaceId: 'text', id: 'text', phone: 'text', name: 'text', data: 'json', createdAt: 'date', updatedAt: 'date' },
};
const campaigns: TableCodec = {
  table: 'campaigns',
  columns: {
    id: 'text', workspaceId: 'text', name: 'text', channel: 'text', message: 'text', provider: 'text', strictProvider: 'bool',
    sendAt: 'date', validityHours: 'int', validUntil: 'date', status: 'text', pauseReason: 'text', recipients: 'int', run: 'json',
    importId: 'text', warnings: 'json', createdAt: 'date', updatedAt: 'date',
  },
  revive: {
    run: (r: Campaign['run'] & Record<string, unknown>) => {
      const out: Campaign['run'] = { ...r };
      for (const k of ['startedAt', 'finishedAt'] as const) if (r[k]) out[k] = new Date(r[k] as unknown as string);
      return out;
    },
  },
};
const recipients: TableCodec = { table: 'campaign_recipients', columns: { campaignId: 'text', contactId: 'text', to: 'text', text: 'text' } };
const imports: TableCodec = {
  table: 'imports',
  columns: {
    id: 'text', workspaceId: 'text', status: 'text', dryRun: 'bool', onError: 'text', provider: 'text', report: 'json',
    idempotencyKey: 'text', bodyHash: 'text', error: 'text', createdAt: 'date', updatedAt: 'date',
  },
};

const IMMUTABLE = [...OWNED_IMMUTABLE, 'status'];

export function campaignRepo(sql: Sql): CampaignRepo {
  const insertContact = insertSql(contacts).replace(/^INSERT/, 'INSERT OR IGNORE');
  const insertRecipient = insertSql(recipients).replace(/^INSERT/, 'INSERT OR IGNORE');
  const getCampaign = (id: string): Campaign | null => {
    const row = sql.get('SELECT * FROM campaigns WHERE "id" = @id', { id });
    return row ? decodeRow<Campaign>(campaigns, row) : null;
  };
  const getImport = (id: string): ImportRecord | null => {
    const row = sql.get('SELECT * FROM imports WHERE "id" = @id', { id });
    return row ? decodeRow<ImportRecord>(imports, row) : null;
  };
  /** Applies a patch (undefined values clear their column); resolves rows changed. */
  const patchRow = (codec: TableCodec, where: string, params: Record<string, unknown>, patch: object, immutable: readonly string[]): number => {
    const { set, unset } = splitPatch(patch, immutable);
    const fields: Record<string, unknown> = { ...set, updatedAt: new Date() };
    for (const k of unset) fields[k] = undefined;
    const clause = setClause(codec, fields);
    return sql.run(`UPDATE ${codec.table} SET ${clause.sql} WHERE ${where}`, { ...clause.params, ...params }).changes;
  };

  return {
    async addContacts(ws, list) {
      const now = new Date();
      return sql.tx(() => list.reduce((n, c) => n + sql.run(insertContact, encodeRecord(contacts, { ...c, workspaceId: ws, createdAt: now, updatedAt: now })).changes, 0));
    },
    async getContact(ws, id) {
      const row = sql.get('SELECT * FROM contacts WHERE "workspaceId" = @ws AND "id" = @id', { ws, id });
      return row ? decodeRow<Contact>(contacts, row) : null;
    },
    async listContacts(ws, q) {
      return pageOf<Contact>(sql, contacts, '"workspaceId" = @ws', { ws }, '"id"', q);
    },

    async create(c) {
      const now = new Date();
      sql.run(insertSql(campaigns), encodeRecord(campaigns, { ...c, createdAt: now, updatedAt: now }));
      return getCampaign(c.id)!;
    },
    async get(id) {
      return getCampaign(id);
    },
    async getByName(ws, name) {
      const row = sql.get('SELECT * FROM campaigns WHERE "workspaceId" = @ws AND "name" = @name', { ws, name });
      return row ? decodeRow<Campaign>(campaigns, row) : null;
    },
    async list(ws, filter, q) {
      const where = ['"workspaceId" = @ws'];
      if (filter.status) where.push('"status" = @status');
      if (filter.dueBefore) where.push('("sendAt" IS NULL OR "sendAt" <= @due)');
      return pageOf<Campaign>(sql, campaigns, where.join(' AND '), { ws, status: filter.status, due: filter.dueBefore?.getTime() }, '"createdAt", "id"', q);
    },
    async transition(id, from, to, patch = {}) {
      const changed = patchRow(campaigns, '"id" = @id AND "status" IN (SELECT value FROM json_each(@from))', { id, from: JSON.stringify(from) }, { ...patch, status: to }, OWNED_IMMUTABLE);
      return changed ? getCampaign(id) : null;
    },
    async update(id, patch) {
      return patchRow(campaigns, '"id" = @id', { id }, patch, IMMUTABLE) ? getCampaign(id) : null;
    },
    async findDue(statuses, before, limit) {
      return sql
        .all('SELECT * FROM campaigns WHERE "status" IN (SELECT value FROM json_each(@s)) AND ("sendAt" IS NULL OR "sendAt" <= @before) ORDER BY "sendAt", "id" LIMIT @limit', {
          s: JSON.stringify(statuses), before: before.getTime(), limit,
        })
        .map((r) => decodeRow<Campaign>(campaigns, r));
    },

    async addRecipients(list) {
      return sql.tx(() => list.reduce((n, r) => n + sql.run(insertRecipient, encodeRecord(recipients, r)).changes, 0));
    },
    async recipientsAfter(campaignId, after, limit) {
      return sql
        .all(`SELECT * FROM campaign_recipients WHERE "campaignId" = @campaignId${after !== undefined ? ' AND "contactId" > @after' : ''} ORDER BY "contactId" LIMIT @limit`, {
          campaignId, after, limit,
        })
        .map((r) => decodeRow<CampaignRecipient>(recipients, r));
    },
    async countRecipients(campaignId) {
      return sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM campaign_recipients WHERE "campaignId" = @campaignId', { campaignId })!.n;
    },

    async createImport(r) {
      const now = new Date();
      sql.run(insertSql(imports), encodeRecord(imports, { ...r, createdAt: now, updatedAt: now }));
      return getImport(r.id)!;
    },
    async getImport(id) {
      return getImport(id);
    },
    async findImportByKey(ws, key) {
      const row = sql.get('SELECT * FROM imports WHERE "workspaceId" = @ws AND "idempotencyKey" = @key', { ws, key });
      return row ? decodeRow<ImportRecord>(imports, row) : null;
    },
    async updateImport(id, patch) {
      return patchRow(imports, '"id" = @id', { id }, patch, OWNED_IMMUTABLE) ? getImport(id) : null;
    },
  };
}
