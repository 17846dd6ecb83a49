// The storage contract of usage counters (both stores; test/contract/store.contract.usage.ts).
import type { Channel } from '../domain/types';
import type { UsageDelta, UsageDimension, UsageHour } from '../domain/usage';

export interface UsageQuery {
  workspaceId: string;
  dimension: UsageDimension;
  /** The program, user (recipient) or campaign id; '*' for the workspace dimension. */
  key: string;
  /** Hours starting at or after `from` and before `to`. */
  from: Date;
  to: Date;
  channel?: Channel;
  provider?: string;
}

/**
 * Usage counters: one row per workspace x hour x stored dimension value (x channel x provider). The
 * `user` dimension has no rows: its hours are counted from the recipient's messages (domain/usage.ts
 * usageHoursOf), found by the messages' (workspaceId, userId, createdAt) index.
 */
export interface UsageRepo {
  /** Adds each delta's counts to its row, creating the row at zero; each row's increment is atomic. */
  add(deltas: UsageDelta[]): Promise<void>;
  /**
   * Counters per UTC hour of [from, to), summed over the matching rows, oldest first; hours without rows are absent.
   * For `user`, the same figures counted from the recipient's messages accepted in those hours.
   */
  hourly(q: UsageQuery): Promise<UsageHour[]>;
}
