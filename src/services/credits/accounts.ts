// The credit use cases behind the HTTP API: an account's summary, top-ups (once per
// Idempotency-Key), ledger pages, and opening an account for a new workspace.
import { randomUUID } from 'node:crypto';
import { DEFAULT_WORKSPACE, toCredits, type CreditAccount, type LedgerEntry, type LedgerKind } from '../../domain/credits';
import { NotFoundError, UnprocessableError } from '../../domain/errors';
import type { Page, PageQuery } from '../../domain/types';
import type { Store } from '../../store/store';
import { bodyHash } from '../idempotency';
import { milli, pricesOf, type CreditsConfig } from './pricing';
import type { BalanceSignals } from './signals';

export interface CreditSummary {
  workspaceId: string;
  metered: boolean;
  /** Credits available now (reservations already taken off); null: unmetered. */
  balance: number | null;
  /** Credits held by messages not yet handed to a provider. */
  reserved: number;
  currencyName: string;
  prices: { smsSegment: number; email: number };
}

export interface LedgerEntryView extends Omit<LedgerEntry, 'amount' | 'balanceAfter' | 'requestHash'> {
  amount: number;
  balanceAfter?: number;
}

export interface TopUpResult {
  entry: LedgerEntryView;
  /** The answer of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export function entryView(e: LedgerEntry): LedgerEntryView {
  const { requestHash: _hash, amount, balanceAfter, ...rest } = e;
  return { ...rest, amount: toCredits(amount), ...(balanceAfter !== undefined ? { balanceAfter: toCredits(balanceAfter) } : {}) };
}

export function createCreditAccounts(deps: { store: Store; config: CreditsConfig; signals: BalanceSignals }) {
  const { store, config, signals } = deps;

  async function mustGet(ws: string): Promise<CreditAccount> {
    const acc = await store.credits.get(ws);
    if (!acc) throw new NotFoundError('workspace', ws);
    return acc;
  }

  return {
    async summary(ws: string): Promise<CreditSummary> {
      const acc = await mustGet(ws);
      const prices = pricesOf(acc, config);
      return {
        workspaceId: ws,
        metered: acc.balance !== null,
        balance: acc.balance === null ? null : toCredits(acc.balance),
        reserved: acc.balance === null ? 0 : toCredits(await store.credits.reserved(ws)),
        currencyName: config.credits.currencyName,
        prices: { smsSegment: toCredits(prices.smsSegment), email: toCredits(prices.email) },
      };
    },

    /** `amount` in milli-credits (> 0, validated by the route). The same key and body answer the first top-up. */
    async topUp(ws: string, amount: number, opts: { idempotencyKey?: string; note?: string } = {}): Promise<TopUpResult> {
      const requestHash = bodyHash({ amount, note: opts.note });
      const id = `top-up:${ws}:${opts.idempotencyKey ?? randomUUID()}`;
      const r = await store.credits.move(ws, { id, kind: 'top-up', amount, requestHash, ...(opts.note ? { note: opts.note } : {}) });
      if (r.replayed && r.entry.requestHash !== requestHash) {
        throw new UnprocessableError(
          [{ field: 'Idempotency-Key', reason: 'was already used with a different request body; use a new key for a new request' }],
          'Idempotency-Key reused with a different body',
        );
      }
      if (!r.replayed) signals.changed(ws);
      return { entry: entryView(r.entry), replayed: r.replayed };
    },

    async ledger(ws: string, filter: { kind?: LedgerKind; messageId?: string }, q: PageQuery): Promise<Page<LedgerEntryView>> {
      await mustGet(ws);
      const page = await store.credits.ledger(ws, filter, q);
      return { ...page, items: page.items.map(entryView) };
    },

    /** Opens a new workspace's account (POST /v1/workspaces {credits}): null or absent is unmetered; resolves its balance in credits. */
    async open(ws: string, credits: number | null | undefined): Promise<number | null> {
      const acc = await store.credits.open(ws, { balance: credits === null || credits === undefined ? null : milli(credits) });
      if (acc.balance) signals.changed(ws);
      return acc.balance === null ? null : toCredits(acc.balance);
    },

    /** Credits left, null when unmetered or without an account. */
    async balance(ws: string): Promise<number | null> {
      const acc = await store.credits.get(ws);
      return acc?.balance === null || acc?.balance === undefined ? null : toCredits(acc.balance);
    },
  };
}

export type CreditAccounts = ReturnType<typeof createCreditAccounts>;

/** The default workspace's account exists always: opened at start-up as configured (unmetered unless set). */
export async function ensureDefaultAccount(store: Store, config: CreditsConfig): Promise<CreditAccount> {
  const balance = config.credits.defaultBalance;
  return store.credits.open(DEFAULT_WORKSPACE, { balance: balance === null ? null : milli(balance) });
}
