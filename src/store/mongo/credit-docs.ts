// Credit documents in MongoDB: accounts and ledger entries as records, and the bookkeeping an
// account carries while a movement is half-way (see repos-credits.ts).
import type { CreditAccount, LedgerEntry } from '../../domain/credits';
import { duplicateIndexes, toRecord } from './docs';

export type Doc = Record<string, unknown>;

/** A reserve debited from the account whose ledger entries may not all be written yet. */
export interface PendingReserve {
  id: string;
  at: Date;
  items: Array<{ m: string; n: string; c?: string; cost: number }>;
}

export const fromAccount = (d: Doc): CreditAccount => {
  const a = toRecord<CreditAccount>(d, ['recentMoves', 'pendingReserves', 'appliedRefunds', 'pendingMoves']);
  return { ...a, workspaceId: d._id as string, balance: typeof d.balance === 'number' ? d.balance : null };
};
/** A refund written but not credited yet shows no state: only reserves have one. */
export const fromEntry = (d: Doc): LedgerEntry => toRecord<LedgerEntry>(d, d.kind === 'reserve' ? ['batch'] : ['batch', 'state']);
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
