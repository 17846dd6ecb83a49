// Idempotency-Key claims in SQLite: the (scope, key) primary key makes the claiming insert atomic.
import type { IdempotencyRecord, IdempotencyRepo } from '../store';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';

const codec: TableCodec = {
  table: 'idempotency_keys',
  columns: {
    scope: 'text', key: 'text', token: 'text', bodyHash: 'text', state: 'text', notificationId: 'text',
    expiresAt: 'date', createdAt: 'date', updatedAt: 'date',
  },
};

const WHERE = '"scope" = @scope AND "key" = @key';

export function idempotencyRepo(sql: Sql): IdempotencyRepo {
  const get = (scope: string, key: string): IdempotencyRecord | null => {
    const row = sql.get(`SELECT * FROM idempotency_keys WHERE ${WHERE}`, { scope, key });
    return row ? decodeRow<IdempotencyRecord>(codec, row) : null;
  };
  /** A token-checked UPDATE, read back in the same transaction. */
  const updateIf = (scope: string, key: string, token: string, extra: string, fields: Record<string, unknown>) =>
    sql.tx(() => {
      const clause = setClause(codec, fields);
      const res = sql.run(`UPDATE idempotency_keys SET ${clause.sql} WHERE ${WHERE} AND "token" = @token ${extra}`, {
        ...clause.params, scope, key, token,
      });
      return res.changes === 0 ? null : get(scope, key);
    });

  return {
    async claim(r) {
      const now = new Date();
      const rec: IdempotencyRecord = { ...r, createdAt: now, updatedAt: now };
      sql.run(insertSql(codec), encodeRecord(codec, rec));
      return rec;
    },
    async get(scope, key) {
      return get(scope, key);
    },
    async replace(scope, key, token, next) {
      const now = new Date();
      const { scope: _s, key: _k, ...rest } = next;
      return updateIf(scope, key, token, '', { ...rest, createdAt: now, updatedAt: now });
    },
    async complete(scope, key, token) {
      return updateIf(scope, key, token, `AND "state" = 'in-progress'`, { state: 'done', updatedAt: new Date() });
    },
    async release(scope, key, token) {
      return sql.run(`DELETE FROM idempotency_keys WHERE ${WHERE} AND "token" = @token`, { scope, key, token }).changes === 1;
    },
    async pruneExpired(now) {
      return sql.run('DELETE FROM idempotency_keys WHERE "expiresAt" < @now', { now: now.getTime() }).changes;
    },
  };
}
