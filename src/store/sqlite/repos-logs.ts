// The consolidated log in SQLite: seq is the AUTOINCREMENT rowid, so it only ever grows.
import type { LogLine } from '../../domain/types';
import type { LogRepo } from '../store';
import { levelRank } from '../common';
import { decodeRow, encodeValue, q, type Sql, type TableCodec } from './db';

const codec: TableCodec = {
  table: 'logs',
  columns: {
    seq: 'int', time: 'date', level: 'text', process: 'text', message: 'text',
    notificationId: 'text', messageId: 'text', meta: 'json', workspaceId: 'text',
  },
};

/**
 * Lines a multi-row INSERT holds, largest first: one statement (and one sqlite_sequence update, AUTOINCREMENT's)
 * for up to 64 lines; a batch's rest in the smaller ones, so four statement texts serve any batch.
 */
const ROWS_PER_INSERT = [64, 16, 4, 1];

export function logRepo(sql: Sql): LogRepo {
  // Positional, one array a batch (a busy worker writes a line per message sent).
  const cols = Object.entries(codec.columns).filter(([k]) => k !== 'seq');
  const tuple = `(${[...cols, 0].map(() => '?').join(', ')})`;
  const head = `INSERT INTO logs (${[...cols.map(([c]) => q(c)), q('levelRank')].join(', ')}) VALUES `;
  /** The INSERT of n lines (seq follows the VALUES' order), its text made once per n. */
  const inserts: string[] = [];
  const insertOf = (n: number): string => (inserts[n] ??= head + Array.from({ length: n }, () => tuple).join(', '));
  return {
    async append(lines) {
      if (lines.length === 0) return;
      await sql.group(() => {
        for (let at = 0; at < lines.length; ) {
          const rows = ROWS_PER_INSERT.find((n) => n <= lines.length - at)!;
          const end = at + rows;
          const values: unknown[] = [];
          for (let i = at; i < end; i++) {
            const rec = lines[i] as unknown as Record<string, unknown>;
            for (const [col, kind] of cols) values.push(encodeValue(kind, rec[col]));
            values.push(levelRank(lines[i].level));
          }
          sql.stmt(insertOf(rows)).run(values);
          at = end;
        }
      });
    },
    async query(q) {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: Math.max(0, q.limit) };
      const eq = (field: 'workspaceId' | 'notificationId' | 'messageId' | 'process') => {
        if (q[field] === undefined) return;
        where.push(`"${field}" = @${field}`);
        params[field] = q[field];
      };
      eq('workspaceId');
      eq('notificationId');
      eq('messageId');
      eq('process');
      if (q.level !== undefined) {
        where.push('"levelRank" <= @rank');
        params.rank = levelRank(q.level);
      }
      if (q.since !== undefined) {
        where.push('"time" >= @since');
        params.since = q.since.getTime();
      }
      if (q.until !== undefined) {
        where.push('"time" <= @until');
        params.until = q.until.getTime();
      }
      if (q.grep !== undefined) {
        // instr, not LIKE: the operator's text is matched literally (% and _ are not wildcards).
        where.push('instr(lower("message"), lower(@grep)) > 0');
        params.grep = q.grep;
      }
      if (q.afterSeq !== undefined) {
        where.push('"seq" > @afterSeq');
        params.afterSeq = q.afterSeq;
      }
      const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const rows = sql.all(`SELECT * FROM logs ${w} ORDER BY "seq" ${q.newest ? 'DESC' : ''} LIMIT @limit`, params);
      if (q.newest) rows.reverse();
      return rows.map((r) => decodeRow<LogLine>(codec, r));
    },
  };
}
