// Credit accounts and their ledger in SQLite: every balance change and its ledger entries are one
// write transaction (BEGIN IMMEDIATE), so several processes on the file never overspend. Reserves,
// charges and refunds share the commit (one fsync) of the other writes of the same turn (group commit).
import type { CreditAccount, LedgerEntry } from '../../domain/credits';
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import type { CreditRepo, ReserveItem } from '../store';
import { refundId, reserveId } from '../store-credits';
import { clampPage } from '../common';
import { decodeRow, encodeRecord, insertSql, type Sql, type TableCodec } from './db';

export const CREDITS_DDL = `
CREATE TABLE IF NOT EXISTS credit_accounts (
  "workspaceId" TEXT PRIMARY KEY, "balance" INTEGER, "prices" TEXT, "createdAt" INTEGER NOT NULL, "updatedAt" INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS credit_ledger (
  "seq" INTEGER PRIMARY KEY AUTOINCREMENT, "id" TEXT NOT NULL UNIQUE, "workspaceId" TEXT NOT NULL, "kind" TEXT NOT NULL,
  "amount" INTEGER NOT NULL, "messageId" TEXT, "notificationId" TEXT, "campaignId" TEXT, "state" TEXT, "balanceAfter" INTEGER,
  "requestHash" TEXT, "note" TEXT, "createdAt" INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_ledger_workspace ON credit_ledger ("workspaceId", "kind", "seq");
-- Only the reservations still held (the sweeper's and reserved()'s): a charge deletes its entry, where an index
-- of every row's state moved it and grew with the ledger. Replaces credit_ledger_state (built from the rows).
DROP INDEX IF EXISTS credit_ledger_state;
CREATE INDEX IF NOT EXISTS credit_ledger_held ON credit_ledger ("createdAt", "seq") WHERE "state" = 'held';
`;

const accounts: TableCodec = {
  table: 'credit_accounts',
  columns: { workspaceId: 'text', balance: 'int', prices: 'json', createdAt: 'date', updatedAt: 'date' },
};
const entries: TableCodec = {
  table: 'credit_ledger',
  columns: {
    id: 'text', workspaceId: 'text', kind: 'text', amount: 'int', messageId: 'text', notificationId: 'text', campaignId: 'text',
    state: 'text', balanceAfter: 'int', requestHash: 'text', note: 'text', createdAt: 'date',
  },
};

/** A reserve entry, unless the message has one already. */
const INSERT_RESERVE = insertSql(entries).replace(/^INSERT/, 'INSERT OR IGNORE');
/**
 * A whole batch's reserve entries in one statement, from a JSON array of [messageId, notificationId,
 * campaignId | null, cost]: no statement, parameter object or record per message. Entries already there
 * (a resumed fan-out) are left as they are.
 */
const INSERT_RESERVES = `INSERT OR IGNORE INTO credit_ledger ("id", "workspaceId", "kind", "amount", "state", "messageId", "notificationId", "campaignId", "createdAt")
  SELECT 'reserve:' || (value ->> 0), @ws, 'reserve', -(value ->> 3), 'held', value ->> 0, value ->> 1, value ->> 2, @at FROM json_each(@items)`;
/** Reservations of these messages (ids a JSON array) not given back yet: held or charged. */
const REFUNDABLE = `SELECT "messageId", "workspaceId", "amount", "notificationId", "campaignId" FROM credit_ledger
  WHERE "id" IN (SELECT 'reserve:' || value FROM json_each(@ids)) AND +"state" <> 'refunded'`;
type RefundableRow = { messageId: string; workspaceId: string; amount: number; notificationId: string | null; campaignId: string | null };
const MARK_REFUNDED = `UPDATE credit_ledger SET "state" = 'refunded' WHERE "id" IN (SELECT 'reserve:' || value FROM json_each(@ids)) AND +"state" <> 'refunded'`;
/** Refund entries from a JSON array of [messageId, workspaceId, amount, notificationId | null, campaignId | null]. */
const INSERT_REFUNDS = `INSERT INTO credit_ledger ("id", "workspaceId", "kind", "amount", "messageId", "notificationId", "campaignId", "createdAt")
  SELECT 'refund:' || (value ->> 0), value ->> 1, 'refund', value ->> 2, value ->> 0, value ->> 3, value ->> 4, @at FROM json_each(@rows)`;
/** A batch's held reservations charged in one statement (ids a JSON array); `+` keeps the lookup on the id's index. */
const CHARGE_ALL = `UPDATE credit_ledger SET "state" = 'charged' WHERE "id" IN (SELECT 'reserve:' || value FROM json_each(@ids)) AND +"state" = 'held'`;

export function creditRepo(sql: Sql): CreditRepo {
  const get = (ws: string): CreditAccount | null => {
    const row = sql.get('SELECT * FROM credit_accounts WHERE "workspaceId" = @ws', { ws });
    // NULL is a field like any other for the codec; here it means unmetered.
    return row ? { ...decodeRow<CreditAccount>(accounts, row), balance: (row.balance as number | null) ?? null } : null;
  };
  const entry = (id: string): LedgerEntry | null => {
    const row = sql.get('SELECT * FROM credit_ledger WHERE "id" = @id', { id });
    return row ? decodeRow<LedgerEntry>(entries, row) : null;
  };
  const insertEntry = (e: LedgerEntry): void => void sql.run(insertSql(entries), encodeRecord(entries, e));
  const addToBalance = (ws: string, delta: number, at: Date): void =>
    void sql.run('UPDATE credit_accounts SET "balance" = "balance" + @delta, "updatedAt" = @at WHERE "workspaceId" = @ws AND "balance" IS NOT NULL', {
      ws, delta, at: at.getTime(),
    });

  /** Reserves every priced item of a batch the balance covers in full; covered: all of them. */
  const reserveAll = (ws: string, items: ReserveItem[], total: number, now: Date): string[] => {
    const covered: string[] = new Array(items.length);
    const rows: Array<[string, string, string | null, number]> = [];
    for (let k = 0; k < items.length; k++) {
      const i = items[k];
      covered[k] = i.messageId;
      if (i.cost > 0) rows.push([i.messageId, i.notificationId, i.campaignId ?? null, i.cost]);
    }
    if (rows.length === 0) return covered;
    // Entries of a resumed fan-out are already there, and already paid: only the new rows (after `last`) are debited.
    const last = sql.get<{ s: number | null }>('SELECT MAX("seq") AS s FROM credit_ledger')?.s ?? 0;
    const written = sql.run(INSERT_RESERVES, { ws, at: now.getTime(), items: JSON.stringify(rows) }).changes;
    const debit = written === rows.length ? total : (sql.get<{ s: number | null }>('SELECT SUM(-"amount") AS s FROM credit_ledger WHERE "seq" > @last', { last })?.s ?? 0);
    if (debit > 0) addToBalance(ws, -debit, now);
    return covered;
  };

  return {
    async open(ws, opening) {
      return sql.tx(() => {
        const existing = get(ws);
        if (existing) return existing;
        const now = new Date();
        const rec: CreditAccount = { workspaceId: ws, balance: opening.balance, ...(opening.prices ? { prices: opening.prices } : {}), createdAt: now, updatedAt: now };
        sql.run(insertSql(accounts), encodeRecord(accounts, rec));
        if (opening.balance) {
          insertEntry({ id: `top-up:${ws}:opening`, workspaceId: ws, kind: 'top-up', amount: opening.balance, balanceAfter: opening.balance, note: 'opening balance', createdAt: now });
        }
        return rec;
      });
    },
    async get(ws) {
      return get(ws);
    },
    async reserved(ws) {
      const row = sql.get<{ s: number | null }>(`SELECT SUM(-"amount") AS s FROM credit_ledger INDEXED BY credit_ledger_held WHERE "state" = 'held' AND "workspaceId" = @ws AND "kind" = 'reserve'`, { ws });
      return row?.s ?? 0;
    },
    async move(ws, m) {
      return sql.tx(() => {
        const before = entry(m.id);
        if (before) return { entry: before, replayed: true };
        const acc = get(ws);
        if (!acc) throw new NotFoundError('workspace', ws);
        if (acc.balance === null) throw new UnprocessableError([{ field: 'workspaceId', reason: 'the workspace is unmetered (credits: null): it has no balance' }]);
        const balanceAfter = acc.balance + m.amount;
        if (balanceAfter < 0) throw new UnprocessableError([{ field: 'amount', reason: 'would take the balance below zero' }]);
        const now = new Date();
        addToBalance(ws, m.amount, now);
        const e: LedgerEntry = { id: m.id, workspaceId: ws, kind: m.kind, amount: m.amount, balanceAfter, createdAt: now, ...(m.requestHash ? { requestHash: m.requestHash } : {}), ...(m.note ? { note: m.note } : {}) };
        insertEntry(e);
        return { entry: e, replayed: false };
      });
    },
    async reserve(ws, items) {
      return sql.group(() => {
        const acc = get(ws);
        if (!acc || acc.balance === null) return items.map((i) => i.messageId);
        const now = new Date();
        let total = 0;
        for (const i of items) if (i.cost > 0) total += i.cost;
        // The balance covers the whole batch (nearly always): one statement writes every entry.
        if (total <= acc.balance) return reserveAll(ws, items, total, now);
        let balance = acc.balance;
        const covered: string[] = [];
        for (const i of items) {
          // Free: covered, nothing to hold (as on MongoDB).
          if (i.cost <= 0) covered.push(i.messageId);
          else if (i.cost <= balance) {
            // One statement per message: an entry already there (a resumed fan-out) is covered and not charged again.
            const e: LedgerEntry = {
              id: reserveId(i.messageId), workspaceId: ws, kind: 'reserve', amount: -i.cost, state: 'held', messageId: i.messageId,
              notificationId: i.notificationId, ...(i.campaignId ? { campaignId: i.campaignId } : {}), createdAt: now,
            };
            if (sql.run(INSERT_RESERVE, encodeRecord(entries, e)).changes > 0) balance -= i.cost;
            covered.push(i.messageId);
          } else if (sql.get('SELECT 1 FROM credit_ledger WHERE "id" = @id', { id: reserveId(i.messageId) })) covered.push(i.messageId);
        }
        if (balance !== acc.balance) addToBalance(ws, balance - acc.balance, now);
        return covered;
      });
    },
    async charge(ids) {
      if (ids.length === 0) return 0;
      return sql.group(() => sql.run(CHARGE_ALL, { ids: JSON.stringify(ids) }).changes);
    },
    async refund(ids) {
      if (ids.length === 0) return [];
      return sql.group(() => {
        // The reservations still to give back, found, marked and answered four statements a batch (not four a message).
        const wanted = JSON.stringify([...new Set(ids)]);
        const found = new Map(sql.all<RefundableRow>(REFUNDABLE, { ids: wanted }).map((r) => [r.messageId, r]));
        if (found.size === 0) return [];
        const now = new Date();
        const out: LedgerEntry[] = [];
        const back = new Map<string, number>();
        // In the order asked, each message once.
        for (const id of new Set(ids)) {
          const r = found.get(id);
          if (!r) continue;
          out.push({
            id: refundId(id), workspaceId: r.workspaceId, kind: 'refund', amount: -r.amount, messageId: id,
            ...(r.notificationId ? { notificationId: r.notificationId } : {}), ...(r.campaignId ? { campaignId: r.campaignId } : {}), createdAt: now,
          });
          back.set(r.workspaceId, (back.get(r.workspaceId) ?? 0) - r.amount);
        }
        sql.run(MARK_REFUNDED, { ids: wanted });
        const rows = out.map((e) => [e.messageId, e.workspaceId, e.amount, e.notificationId ?? null, e.campaignId ?? null]);
        sql.run(INSERT_REFUNDS, { at: now.getTime(), rows: JSON.stringify(rows) });
        for (const [ws, amount] of back) addToBalance(ws, amount, now);
        return out;
      });
    },
    async settlePending() {
      return 0; // a reserve is one transaction: never half-written
    },
    async findHeld(before, limit) {
      const rows = sql.all(`SELECT * FROM credit_ledger WHERE "state" = 'held' AND "createdAt" < @before ORDER BY "createdAt", "seq" LIMIT @limit`, { before: before.getTime(), limit });
      return rows.map((r) => decodeRow<LedgerEntry>(entries, r));
    },
    async ledger(ws, filter, q) {
      const { limit, offset } = clampPage(q);
      const where = ['"workspaceId" = @ws', ...(filter.kind ? ['"kind" = @kind'] : []), ...(filter.messageId ? ['"messageId" = @messageId'] : [])].join(' AND ');
      const params = { ws, ...(filter.kind ? { kind: filter.kind } : {}), ...(filter.messageId ? { messageId: filter.messageId } : {}) };
      const total = sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM credit_ledger WHERE ${where}`, params)?.n ?? 0;
      const rows = sql.all(`SELECT * FROM credit_ledger WHERE ${where} ORDER BY "seq" DESC LIMIT @limit OFFSET @offset`, { ...params, limit, offset });
      return { items: rows.map((r) => decodeRow<LedgerEntry>(entries, r)), total, limit, offset };
    },
    async ledgerSum(ws) {
      return sql.get<{ s: number | null }>('SELECT SUM("amount") AS s FROM credit_ledger WHERE "workspaceId" = @ws', { ws })?.s ?? 0;
    },
  };
}
