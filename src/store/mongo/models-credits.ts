// MongoDB collections of credit accounts and their ledger (spread into models.ts).
import { Schema, type Connection, type Model } from 'mongoose';
import { base } from './models-base';

const { Mixed } = Schema.Types;

const creditAccountSchema = new Schema(
  { _id: String, balance: Number, prices: Mixed, recentMoves: [String], pendingReserves: Mixed, appliedRefunds: Mixed, pendingMoves: Mixed, createdAt: Date, updatedAt: Date },
  { ...base, collection: 'creditaccounts' },
);

/** The credit ledger: `_id` is the movement's unique id (reserve:<message>, refund:<message>, top-up:...). */
const creditLedgerSchema = new Schema(
  {
    _id: String, workspaceId: String, kind: String, amount: Number, messageId: String, notificationId: String, campaignId: String,
    state: String, balanceAfter: Number, requestHash: String, note: String, createdAt: Date,
    /** Reserve entries: the batch that wrote them (see repos-credits.ts). */
    batch: String,
    /** Reserve entries: charged or refunded (see credit-docs.ts). */
    settled: Boolean,
  },
  { ...base, collection: 'creditledger' },
);
creditLedgerSchema.index({ workspaceId: 1, createdAt: -1 });
// The sweeper's held reservations (`HELD` in credit-docs.ts: state held, not settled) oldest first, and pending
// refunds: `settled` in the key, or every charged entry ever (they keep state 'held') is walked at each sweep.
creditLedgerSchema.index({ state: 1, settled: 1, createdAt: 1 });

export interface CreditModels {
  creditAccounts: Model<any>;
  creditLedger: Model<any>;
}

export function buildCreditModels(conn: Connection): CreditModels {
  return {
    creditAccounts: conn.model('CreditAccount', creditAccountSchema),
    creditLedger: conn.model('CreditLedgerEntry', creditLedgerSchema),
  };
}
