// Messages in SQLite: idempotent bulk insert and compare-and-set status transitions.
import type { Message, MessageStatus, StatusChange } from '../../domain/types';
import type { MessageRepo } from '../store';
import { OWNED_IMMUTABLE } from '../common';
import { decodeRow, encodeValue, q, setClause, type Sql, type TableCodec } from './db';
import { afterTransition, usableExpected } from '../transition-image';
import { messageShell } from '../message-record';
import { pageOf } from './repos-catalog';
import { sweepStatuses } from './message-sweeps';
import { changeJson, updateShape } from './message-updates';
import { providerIdIndex } from './message-provider-ids';

const codec: TableCodec = {
  table: 'messages',
  columns: {
    id: 'text', workspaceId: 'text', notificationId: 'text', programId: 'text', eventTypeId: 'text', userId: 'text', channel: 'text',
    to: 'text', content: 'json', sms: 'json', status: 'text', statusHistory: 'json', validUntil: 'date',
    attempts: 'int', provider: 'text', providerMessageIds: 'json', providerStatus: 'text', error: 'json',
    possibleDuplicate: 'bool', createdAt: 'date', updatedAt: 'date', sentAt: 'date', deliveredAt: 'date', leaseUntil: 'date',
    partStatuses: 'json', campaignId: 'text', cost: 'int',
  },
  // Records with room for every field: `{}` would turn into a dictionary past ~16 of them.
  shell: messageShell,
  revive: {
    // The array was just parsed (nobody else holds it): its dates are revived in place.
    statusHistory: (h: Array<Omit<StatusChange, 'at'> & { at: string | Date }>) => {
      for (const c of h) c.at = new Date(c.at);
      return h;
    },
  },
};

/** Set by transition itself, never by its patch. */
const OWNED: ReadonlySet<string> = new Set([...OWNED_IMMUTABLE, 'status', 'statusHistory', 'attempts']);

/** Columns an insert fills itself (the message's value or a default, the insert's time). */
const DEFAULTED = { attempts: true, statusHistory: true, createdAt: true, updatedAt: true } as const;

type TransitionOpts = NonNullable<Parameters<MessageRepo['transition']>[3]>;

export const fromRow = (row: Record<string, unknown>): Message => decodeRow<Message>(codec, row);
const statusesParam = (statuses: MessageStatus[]): string => JSON.stringify(statuses);

export function messageRepo(sql: Sql): MessageRepo {
  // Positional: one array per row, in the codec's column order (no named lookups for 27 columns).
  const insertCols = Object.entries(codec.columns);
  const slot = { attempts: 0, statusHistory: 0, createdAt: 0, updatedAt: 0 };
  for (const k of Object.keys(DEFAULTED) as Array<keyof typeof slot>) slot[k] = insertCols.findIndex(([c]) => c === k);
  const insert = `INSERT OR IGNORE INTO messages (${insertCols.map(([c]) => q(c)).join(', ')}) VALUES (${insertCols.map(() => '?').join(', ')})`;
  const get = (id: string): Message | null => sql.getDecoded<Message>(codec, 'SELECT * FROM messages WHERE "id" = @id', { id }) ?? null;

  const providerIds = providerIdIndex(sql);

  /** One compare-and-set UPDATE (the caller holds the transaction); resolves the rows changed, 0 or 1. */
  const apply = (id: string, from: MessageStatus[], to: MessageStatus, opts: TransitionOpts): number => applyImage(id, from, to, opts).changes;

  /** `apply`, telling also what it wrote (to answer from the caller's copy instead of reading back). */
  const applyImage = (id: string, from: MessageStatus[], to: MessageStatus, opts: TransitionOpts) => {
    const at = opts.at ?? new Date();
    const one = from.length === 1;
    const leaseEndedBefore = opts.leaseEndedBefore;
    // The patch read once (no entries array, no set object copied): fields to set, then to clear.
    const fields: Record<string, unknown> = {};
    const unset: string[] = [];
    let key = one ? (leaseEndedBefore !== undefined ? '1L' : '1') : leaseEndedBefore !== undefined ? 'nL' : 'n';
    const patch = opts.patch as Record<string, unknown> | undefined;
    if (patch) {
      for (const k in patch) {
        if (OWNED.has(k)) continue;
        const v = patch[k];
        if (v === undefined) unset.push(k);
        else {
          fields[k] = v;
          key += `,${k}`;
        }
      }
    }
    fields.status = to;
    fields.updatedAt = new Date();
    for (const k of unset) {
      fields[k] = undefined;
      key += `,-${k}`;
    }
    if (opts.providerStatus !== undefined && !('providerStatus' in fields)) key += ',+providerStatus';
    if (opts.providerStatus !== undefined) fields.providerStatus = opts.providerStatus;
    const change: StatusChange = { status: to, at };
    if (opts.reason !== undefined) change.reason = opts.reason;
    if (patch?.provider !== undefined) change.provider = patch.provider as string;
    if (opts.providerStatus !== undefined) change.providerStatus = opts.providerStatus;
    const inc = opts.incrementAttempts ? 1 : opts.uncountAttempt ? -1 : 0;
    const shape = updateShape(codec.columns, key, fields, one, leaseEndedBefore !== undefined);
    const values: unknown[] = [];
    for (const [col, kind] of shape.cols) values.push(encodeValue(kind, fields[col]));
    // One status (the worker's claim and record): a plain comparison, no JSON table per row.
    values.push(inc, changeJson(change), id, one ? from[0] : statusesParam(from));
    if (leaseEndedBefore !== undefined) values.push(leaseEndedBefore.getTime());
    // A claimed copy without provider ids: none stored before this attempt (ids stored between parts are in the final list).
    const setsIds = 'providerMessageIds' in fields;
    const idsBefore = setsIds ? providerIds.before(id, usableExpected(id, from, opts.expected) && !opts.expected.providerMessageIds?.length) : undefined;
    const changes = sql.stmt(shape.text).run(values).changes;
    if (changes > 0 && idsBefore) providerIds.replace(id, idsBefore, fields.providerMessageIds as string[] | undefined);
    return { changes, fields, unset, inc, change };
  };

  return {
    async insertMany(msgs) {
      const now = new Date();
      return sql.group(() => {
        const inserted: string[] = [];
        const stmt = sql.stmt(insert);
        for (const m of msgs) {
          // Read from the message itself (no copy with the defaults spread in): the defaults are put in their slots.
          const src = m as unknown as Record<string, unknown>;
          const row: unknown[] = [];
          for (const [col, kind] of insertCols) row.push(col in DEFAULTED ? null : encodeValue(kind, src[col]));
          row[slot.attempts] = m.attempts ?? 0;
          row[slot.statusHistory] = JSON.stringify(m.statusHistory ?? []);
          row[slot.createdAt] = row[slot.updatedAt] = now.getTime();
          if (stmt.run(row).changes > 0) inserted.push(m.id);
        }
        return inserted;
      });
    },
    async get(id) {
      return get(id);
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      return sql.allDecoded<Message>(codec, 'SELECT * FROM messages WHERE "id" IN (SELECT value FROM json_each(@ids))', { ids: JSON.stringify(ids) });
    },
    async transition(id, from, to, opts = {}) {
      return sql.group(() => (apply(id, from, to, opts) === 0 ? null : get(id)));
    },
    async transitionEach(changes) {
      if (changes.length === 0) return 0;
      return sql.group(() => changes.reduce((n, c) => n + apply(c.id, c.from, c.to, c.opts ?? {}), 0));
    },
    async transitionEachReturning(changes) {
      return sql.group(() =>
        changes.map((c) => {
          const opts = c.opts ?? {};
          const w = applyImage(c.id, c.from, c.to, opts);
          if (w.changes === 0) return null;
          return usableExpected(c.id, c.from, opts.expected) ? afterTransition(opts.expected, w.fields, w.unset, w.inc, w.change) : get(c.id);
        }),
      );
    },
    async transitionMany(ids, from, to, opts = {}) {
      if (ids.length === 0) return 0;
      const change: StatusChange = { status: to, at: opts.at ?? new Date() };
      if (opts.reason !== undefined) change.reason = opts.reason;
      const clause = setClause(codec, { status: to, updatedAt: new Date() });
      return sql.group(
        () =>
          sql.run(
            `UPDATE messages SET ${clause.sql}, "statusHistory" = json_insert("statusHistory", '$[#]', json(@change))
             WHERE "id" IN (SELECT value FROM json_each(@ids)) AND "status" IN (SELECT value FROM json_each(@from))`,
            { ...clause.params, ids: JSON.stringify(ids), from: statusesParam(from), change: JSON.stringify(change) },
          ).changes,
      );
    },
    async list(notificationId, filter, q) {
      const parts = ['"notificationId" = @notificationId'];
      const params: Record<string, unknown> = { notificationId };
      if (filter.status !== undefined) {
        parts.push('"status" = @status');
        params.status = filter.status;
      }
      if (filter.channel !== undefined) {
        parts.push('"channel" = @channel');
        params.channel = filter.channel;
      }
      return pageOf(sql, codec, parts.join(' AND '), params, '"createdAt", "id"', q, fromRow);
    },
    async countByStatus(notificationId) {
      const rows = sql.all<{ status: MessageStatus; n: number }>(
        'SELECT "status", COUNT(*) AS n FROM messages WHERE "notificationId" = @notificationId GROUP BY "status"',
        { notificationId },
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async findByProviderMessageId(providerMessageId) {
      const row = providerIds.messageRow(providerMessageId);
      return row ? fromRow(row) : null;
    },
    async recordPartStatus(id, providerMessageId, status, from) {
      return sql.group(() => {
        const m = get(id);
        const current = m?.partStatuses?.[providerMessageId];
        if (!m || (current !== undefined && !from.includes(current))) return null;
        const partStatuses = { ...(m.partStatuses ?? {}), [providerMessageId]: status };
        sql.run('UPDATE messages SET "partStatuses" = @parts, "updatedAt" = @now WHERE "id" = @id', {
          id, parts: JSON.stringify(partStatuses), now: Date.now(),
        });
        return get(id);
      });
    },
    async noteProviderStatus(id, note) {
      return sql.group(() => {
        const m = get(id);
        if (!m) return null;
        const change: StatusChange = { status: m.status, at: note.at ?? new Date(), reason: note.reason, provider: note.provider, providerStatus: note.providerStatus };
        sql.run(
          `UPDATE messages SET "providerStatus" = @providerStatus, "updatedAt" = @now,
             "statusHistory" = json_insert("statusHistory", '$[#]', json(@change)) WHERE "id" = @id`,
          { id, providerStatus: note.providerStatus, now: Date.now(), change: JSON.stringify(change) },
        );
        return get(id);
      });
    },
    async findStale(statuses, updatedBefore, limit) {
      return sql
        .all(
          `SELECT * FROM messages WHERE ${sweepStatuses('stale', statuses)} AND "updatedAt" < @before
           ORDER BY "updatedAt", "id" LIMIT @limit`,
          { statuses: statusesParam(statuses), before: updatedBefore.getTime(), limit: Math.max(0, limit) },
        )
        .map(fromRow);
    },
    async changedSince(workspaceId, after, upTo, limit) {
      return sql
        .all(
          `SELECT * FROM messages WHERE "workspaceId" = @workspaceId AND "updatedAt" <= @upTo
             AND ("updatedAt" > @at OR ("updatedAt" = @at AND "id" > @id)) ORDER BY "updatedAt", "id" LIMIT @limit`,
          { workspaceId, at: after.at.getTime(), id: after.id, upTo: upTo.getTime(), limit: Math.max(0, limit) },
        )
        .map(fromRow);
    },
    async findExpired(statuses, now, limit) {
      return sql
        .all(
          `SELECT * FROM messages WHERE ${sweepStatuses('expirable', statuses)} AND "validUntil" < @now
           ORDER BY "validUntil", "id" LIMIT @limit`,
          { statuses: statusesParam(statuses), now: now.getTime(), limit: Math.max(0, limit) },
        )
        .map(fromRow);
    },
    async *stream(filter, batchSize = 500) {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: Math.max(1, Math.floor(batchSize)) };
      if (filter.notificationId !== undefined) {
        where.push('"notificationId" = @notificationId');
        params.notificationId = filter.notificationId;
      }
      if (filter.workspaceId !== undefined) {
        where.push('"workspaceId" = @workspaceId');
        params.workspaceId = filter.workspaceId;
      }
      if (filter.createdFrom) {
        where.push('"createdAt" >= @from');
        params.from = filter.createdFrom.getTime();
      }
      if (filter.createdBefore) {
        where.push('"createdAt" < @before');
        params.before = filter.createdBefore.getTime();
      }
      let after: { c: number; id: string } | undefined;
      for (;;) {
        const keyset = after ? ['("createdAt" > @c OR ("createdAt" = @c AND "id" > @id))'] : [];
        const rows = sql.all(
          `SELECT * FROM messages WHERE ${[...where, ...keyset, '1 = 1'].join(' AND ')} ORDER BY "createdAt", "id" LIMIT @limit`,
          { ...params, ...(after ?? {}) },
        );
        for (const row of rows) yield fromRow(row);
        if (rows.length < (params.limit as number)) return;
        const last = rows[rows.length - 1];
        after = { c: last.createdAt as number, id: last.id as string };
      }
    },
    async findByNotification(notificationId, statuses, limit) {
      return sql
        .all(
          `SELECT * FROM messages WHERE "notificationId" = @notificationId AND "status" IN (SELECT value FROM json_each(@statuses))
           ORDER BY "id" LIMIT @limit`,
          { notificationId, statuses: statusesParam(statuses), limit: Math.max(0, limit) },
        )
        .map(fromRow);
    },
    async extendLeases(leases, until) {
      if (leases.length === 0) return 0;
      return sql.group(() =>
        leases.reduce(
          (n, l) =>
            n +
            sql.run('UPDATE messages SET "leaseUntil" = @until WHERE "id" = @id AND "status" = \'sending\' AND "attempts" = @attempts', {
              id: l.id,
              attempts: l.attempts,
              until: until.getTime(),
            }).changes,
          0,
        ),
      );
    },
  };
}
