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

export function logRepo(sql: Sql): LogRepo {
  // Positional, one array a line (a busy worker writes a line per message sent).
  const cols = Object.entries(codec.columns).filter(([k]) => k !== 'seq');
  const insert = `INSERT INTO logs (${[...cols.map(([c]) => q(c)), q('levelRank')].join(', ')}) VALUES (${[...cols, 0].map(() => '?').join(', ')})`;
  return {
    async append(lines) {
      if (lines.length === 0) return;
      await sql.group(() => {
        const stmt = sql.stmt(insert);
        for (const line of lines) {
          const rec = line as unknown as Record<string, unknown>;
          const row: unknown[] = [];
          for (const [col, kind] of cols) row.push(encodeValue(kind, rec[col]));
          row.push(levelRank(line.level));
          stmt.run(row);
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
