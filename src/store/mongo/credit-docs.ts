// Credit documents in MongoDB: accounts and ledger entries as records, and the bookkeeping an
// account carries while a movement is half-way (see repos-credits.ts).
import type { CreditAccount, LedgerEntry } from '../../domain/credits';
import { duplicateIndexes, toRecord } from './docs';

export type Doc = Record<string, unknown>;

/** One message of a pending reserve: message, notification, campaign, cost. */
export interface PendingItem {
  m: string;
  n: string;
  c?: string;
  cost: number;
}

/**
 * A reserve debited from the account whose ledger entries may not all be written yet. The usual batch
 * (one notification or campaign, one price) is kept compact: its message ids, and the rest once.
 */
export type PendingReserve = { id: string; at: Date } & ({ items: PendingItem[] } | { m: string[]; n: string; c?: string; cost: number });

export function pendingReserve(id: string, at: Date, items: PendingItem[]): PendingReserve {
  const [first] = items;
  const uniform = items.every((i) => i.n === first.n && i.c === first.c && i.cost === first.cost);
  if (!uniform) return { id, at, items };
  return { id, at, m: items.map((i) => i.m), n: first.n, ...(first.c ? { c: first.c } : {}), cost: first.cost };
}

export function pendingItems(b: PendingReserve): PendingItem[] {
  if ('items' in b) return b.items;
  const { n, c, cost } = b;
  return c ? b.m.map((m) => ({ m, n, c, cost })) : b.m.map((m) => ({ m, n, cost }));
}

export const fromAccount = (d: Doc): CreditAccount => {
  const a = toRecord<CreditAccount>(d, ['recentMoves', 'pendingReserves', 'appliedRefunds', 'pendingMoves']);
  return { ...a, workspaceId: d._id as string, balance: typeof d.balance === 'number' ? d.balance : null };
};
/**
 * A reserve entry is written `held`; a charge only marks it `settled` (one write by `_id`, a no-op on an
 * entry settled before), a refund sets `refunded` and `settled`. So `held` and `settled` read `charged`.
 * (Entries of older versions may say `charged` themselves.)
 */
export const HELD = { state: 'held', settled: { $ne: true } };

/** A refund written but not credited yet shows no state: only reserves have one. */
export const fromEntry = (d: Doc): LedgerEntry => {
  if (d.kind !== 'reserve') return toRecord<LedgerEntry>(d, ['batch', 'state']);
  const e = toRecord<LedgerEntry>(d, ['batch', 'settled']);
  return d.state === 'held' && d.settled === true ? { ...e, state: 'charged' } : e;
};
export const toDoc = (e: LedgerEntry): Doc => {
  const { id, ...rest } = e;
  return { _id: id, ...rest };
};

/** Indexes (in a batch) of the inserts refused as duplicates; any other failure is thrown. */
export async function insertAllowingDuplicates(insert: () => Promise<unknown>): Promise<Set<number>> {
  try {
    await insert();
    return new Set();
  } catch (e) {
    return duplicateIndexes(e);
  }
}
