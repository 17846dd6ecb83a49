// The storage contract of the consolidated log (both stores; store.contract.ts).
import type { LogLine } from '../domain/types';

export interface LogQuery {
  /** Only lines of this workspace (process-wide lines have none). */
  workspaceId?: string;
  notificationId?: string;
  messageId?: string;
  /** Minimum level: error < warn < info < debug. */
  level?: string;
  process?: string;
  since?: Date;
  /** Only lines at or before this time. */
  until?: Date;
  /** Only lines whose message contains this text, ignoring case. */
  grep?: string;
  /** Only lines with seq greater than this (for following). */
  afterSeq?: number;
  limit: number;
  /** The newest `limit` lines matching (still returned oldest first), instead of the oldest. */
  newest?: boolean;
}

export interface LogRepo {
  append(lines: LogLine[]): Promise<void>;
  /** Oldest first. */
  query(q: LogQuery): Promise<LogLine[]>;
}
