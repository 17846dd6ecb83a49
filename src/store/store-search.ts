// The storage contract of operator look-ups (both stores; test/contract/store.contract.search.ts):
// a message by its recipient's address, notifications by creation time. Indexed, paged, never a scan.
import type { NotificationStatus, Page, PageQuery } from '../domain/types';

export interface NotificationSearch {
  workspaceId: string;
  programId?: string;
  status?: NotificationStatus;
  /** createdAt at or after this. */
  createdFrom?: Date;
  /** createdAt strictly before this. */
  createdBefore?: Date;
}

export interface SearchRepo {
  /** Ids of the workspace's messages sent to exactly this address (phone or e-mail), newest first, at most `limit`. */
  messageIdsTo(workspaceId: string, to: string, limit: number): Promise<string[]>;
  /** A page of ids of the workspace's notifications matching, newest first (createdAt, then id), with the total. */
  notificationIds(filter: NotificationSearch, q: PageQuery): Promise<Page<string>>;
}
