// A vendor's delivery-report statuses as Herald statuses: one table per provider, looked up here.
import type { MessageStatus } from '../domain/types';

export type StatusTable = Readonly<Record<string, MessageStatus>>;

/** Herald's status for a vendor status, or undefined for one the vendor never documented (recorded, moves nothing). */
export function mapStatus(table: StatusTable, raw: string): MessageStatus | undefined {
  return Object.hasOwn(table, raw) ? table[raw] : undefined;
}
