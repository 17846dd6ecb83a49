// Provider routing state in SQLite, and the shared send slots (GCRA) read and moved in one transaction.
import { nextSlot } from '../../domain/send-slots';
import type { ProviderControl, ProviderControlRepo } from '../store';
import { decodeRow, encodeRecord, insertSql, setClause, type Sql, type TableCodec } from './db';

const codec: TableCodec = {
  table: 'provider_control',
  columns: {
    id: 'text', channel: 'text', paused: 'bool', order: 'int', weight: 'int', ratePerSecond: 'int',
    sent: 'int', failed: 'int', circuitOpenUntil: 'date', updatedAt: 'date',
  },
};

const fromRow = (row: Record<string, unknown>): ProviderControl => decodeRow<ProviderControl>(codec, row);

export function providerControlRepo(sql: Sql): ProviderControlRepo {
  const get = (id: string): ProviderControl | null => {
    const row = sql.get('SELECT * FROM provider_control WHERE "id" = @id', { id });
    return row ? fromRow(row) : null;
  };

  return {
    async list() {
      return sql.all('SELECT * FROM provider_control ORDER BY "channel", "order", "id"').map(fromRow);
    },
    async get(id) {
      return get(id);
    },
    async ensure(initial) {
      const rec = { ...initial, sent: 0, failed: 0, updatedAt: new Date() };
      sql.run(insertSql(codec).replace(/^INSERT/, 'INSERT OR IGNORE'), encodeRecord(codec, rec));
      return get(initial.id)!;
    },
    async update(id, patch) {
      const fields: Record<string, unknown> = { updatedAt: new Date() };
      for (const k of ['paused', 'order', 'weight', 'ratePerSecond'] as const) if (k in patch) fields[k] = patch[k];
      const clause = setClause(codec, fields);
      return sql.tx(() => (sql.run(`UPDATE provider_control SET ${clause.sql} WHERE "id" = @id`, { ...clause.params, id }).changes ? get(id) : null));
    },
    async recordActivity(id, delta) {
      sql.run(
        `UPDATE provider_control SET "sent" = "sent" + @sent, "failed" = "failed" + @failed,
           "circuitOpenUntil" = MAX(COALESCE("circuitOpenUntil", 0), COALESCE(@until, 0))
         WHERE "id" = @id`,
        { id, sent: delta.sent, failed: delta.failed, until: delta.circuitOpenUntil?.getTime() ?? null },
      );
    },
    async reserveSlot(providerId, intervalMs, maxWaitMs, now) {
      return sql.tx(() => {
        const row = sql.get<{ tat: number }>('SELECT "tat" FROM provider_slots WHERE "providerId" = @providerId', { providerId });
        const { answer, tat } = nextSlot(row?.tat ?? 0, now, intervalMs, maxWaitMs);
        if (answer.granted) {
          sql.run('INSERT INTO provider_slots ("providerId", "tat") VALUES (@providerId, @tat) ON CONFLICT ("providerId") DO UPDATE SET "tat" = @tat', { providerId, tat });
        }
        return answer;
      });
    },
  };
}
