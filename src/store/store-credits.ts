// The storage contract of credit accounts and their ledger (both stores; test/contract/store.contract.credits.ts).
import type { CreditAccount, CreditPrices, LedgerEntry, LedgerKind } from '../domain/credits';
import type { Page, PageQuery } from '../domain/types';

export interface ReserveItem {
  messageId: string;
  notificationId: string;
  campaignId?: string;
  /** Milli-credits, > 0 (free messages are not reserved). */
  cost: number;
}

export interface ReserveOptions {
  /** Takes the write of the ledger entries (and the rest of the bookkeeping) instead of waiting for it. */
  background?: (entries: Promise<void>) => void;
}

export interface BalanceMovement {
  /** Unique ledger id: the same id again is the same movement (answered, not applied twice). */
  id: string;
  kind: 'top-up' | 'adjustment';
  /** Signed milli-credits; a top-up is > 0. */
  amount: number;
  requestHash?: string;
  note?: string;
}

/**
 * Every balance change is one atomic conditional update of the account (the balance never goes
 * below zero, whatever runs at once); every movement is one ledger entry, unique by id.
 */
export interface CreditRepo {
  /** Opens the workspace's account unless it has one (then it is left as it is); an opening balance > 0 is a top-up entry. */
  open(workspaceId: string, opening: { balance: number | null; prices?: Partial<CreditPrices> }): Promise<CreditAccount>;
  get(workspaceId: string): Promise<CreditAccount | null>;
  /** Milli-credits held by reservations not yet charged or refunded. */
  reserved(workspaceId: string): Promise<number>;
  /**
   * Applies a top-up or adjustment once per id: resolves the entry, `replayed` when the id was applied
   * before. NotFoundError without an account; UnprocessableError when unmetered or when it would take the
   * balance below zero (nothing written then).
   */
  move(workspaceId: string, m: BalanceMovement): Promise<{ entry: LedgerEntry; replayed: boolean }>;
  /**
   * Reserves each item's cost, in order, while the balance covers it; an item reserved before (same
   * message) counts as covered and is not charged again. Unmetered or no account: all covered, nothing
   * written. Resolves the message ids covered.
   *
   * With `background`, a store that writes the entries after the balance change (MongoDB) resolves as
   * soon as the change is durable together with the batch (so `settlePending` writes the entries of a
   * process that dies) and hands the entries' write to `background`: the ledger sums to the balance
   * once that promise settles. A store that writes both at once (SQLite) never calls it.
   */
  reserve(workspaceId: string, items: ReserveItem[], opts?: ReserveOptions): Promise<string[]>;
  /** Held reservations of these messages become charged (kept). Resolves how many changed. */
  charge(messageIds: string[]): Promise<number>;
  /** Gives back the held or charged reservations of these messages, once each. Resolves the refund entries written. */
  refund(messageIds: string[]): Promise<LedgerEntry[]>;
  /**
   * Finishes movements a process that died left half-way, started before `before`: reserves between
   * their debit and their ledger entries, refunds between their entries and their credit, top-ups
   * and adjustments between the balance change and the entry (an answer nobody got: its balanceAfter
   * is the balance when the entry is written). Afterwards the ledger sums to the balance again.
   * Resolves how many it finished (always 0 where every movement is one transaction).
   */
  settlePending(before: Date): Promise<number>;
  /** Reserve entries still held that were made before `before`, oldest first (for the sweeper). */
  findHeld(before: Date, limit: number): Promise<LedgerEntry[]>;
  /** Newest first. */
  ledger(workspaceId: string, filter: { kind?: LedgerKind; messageId?: string }, q: PageQuery): Promise<Page<LedgerEntry>>;
  /** Sum of every ledger amount of the workspace: equals the balance when nothing is half-way. */
  ledgerSum(workspaceId: string): Promise<number>;
}

export const reserveId = (messageId: string): string => `reserve:${messageId}`;
export const refundId = (messageId: string): string => `refund:${messageId}`;
