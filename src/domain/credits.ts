// Credits: amounts are integer milli-credits everywhere (1 credit = 1000), never floats; the
// API shows them as decimal numbers with at most three decimals, exact.
import { DEFAULT_WORKSPACE, type Channel, type MessageStatus } from './types';

export { DEFAULT_WORKSPACE };

export const MILLI_PER_CREDIT = 1000;
/** Largest amount one movement may carry (a billion credits): keeps every sum far inside exact integers. */
export const MAX_CREDITS = 1_000_000_000;

export type LedgerKind = 'top-up' | 'reserve' | 'refund' | 'adjustment';
export const LEDGER_KINDS: readonly LedgerKind[] = ['top-up', 'reserve', 'refund', 'adjustment'];

/** A reservation's life: held while the message is on its way, charged once handed over, refunded once if it ends unsent. */
export type ReserveState = 'held' | 'charged' | 'refunded';

/** Milli-credits per unit; absent fields take the configured defaults. */
export interface CreditPrices {
  smsSegment: number;
  email: number;
}

export interface CreditAccount {
  workspaceId: string;
  /** Milli-credits available (reservations already taken off); null: unmetered, nothing is counted. */
  balance: number | null;
  /** This workspace's own prices, over the configured ones. */
  prices?: Partial<CreditPrices>;
  createdAt: Date;
  updatedAt: Date;
}

export interface LedgerEntry {
  /** Unique per movement: `reserve:<messageId>`, `refund:<messageId>`, `top-up:<workspace>:<key>`. */
  id: string;
  workspaceId: string;
  kind: LedgerKind;
  /** Signed milli-credits: what the movement did to the balance. */
  amount: number;
  messageId?: string;
  notificationId?: string;
  campaignId?: string;
  /** Reserve entries only. */
  state?: ReserveState;
  /** Top-ups and adjustments: the balance right after, as first answered. */
  balanceAfter?: number;
  /** Top-ups: hash of the request, so a replayed Idempotency-Key with another body is refused. */
  requestHash?: string;
  note?: string;
  createdAt: Date;
}

/** Final statuses whose reservation is given back. */
export const REFUNDED_STATUSES: readonly MessageStatus[] = ['failed', 'expired', 'cancelled', 'rejected'];
/** Statuses that keep the charge: the provider took the message. */
export const CHARGED_STATUSES: readonly MessageStatus[] = ['sent', 'delivered', 'undelivered'];

export const INSUFFICIENT_CREDIT = 'insufficient_credit';

export type ParsedCredits = { ok: true; milli: number } | { ok: false; reason: string };

/** Exact decimal text (a JSON number's shortest form, or a string) to milli-credits; no float arithmetic. */
/**
 * A JSON number's decimal text. A binary float can only come near most decimals: 9 x 0.001 is
 * 0.009000000000000001 in any client's arithmetic. A number within a few units in the last place
 * of a whole milli-credit is that milli-credit; anything further off keeps its digits (and is
 * refused for having more than 3 decimals).
 */
function numberText(v: number): string {
  if (!Number.isFinite(v)) return '';
  const milli = Math.round(v * MILLI_PER_CREDIT);
  const near = milli / MILLI_PER_CREDIT;
  return Math.abs(v - near) <= 4 * Number.EPSILON * Math.max(1, Math.abs(v)) ? String(near) : String(v);
}

export function parseCredits(v: unknown): ParsedCredits {
  const text = typeof v === 'number' ? numberText(v) : typeof v === 'string' ? v.trim() : '';
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return { ok: false, reason: 'must be a decimal number of credits, e.g. 12.5' };
  const decimals = (m[3] ?? '').replace(/0+$/, '');
  if (decimals.length > 3) return { ok: false, reason: 'must have at most 3 decimals (1 milli-credit)' };
  if (m[2].replace(/^0+/, '').length > String(MAX_CREDITS).length) return { ok: false, reason: `must be at most ${MAX_CREDITS}` };
  const milli = Number(m[2]) * MILLI_PER_CREDIT + Number(decimals.padEnd(3, '0'));
  if (milli > MAX_CREDITS * MILLI_PER_CREDIT) return { ok: false, reason: `must be at most ${MAX_CREDITS}` };
  return { ok: true, milli: m[1] === '-' ? -milli : milli };
}

/** Milli-credits as a JSON number of credits: integer / 1000 prints its exact decimal text. */
export function toCredits(milli: number): number {
  return milli / MILLI_PER_CREDIT;
}

/** What one message costs: SMS per carrier segment, e-mail per message. */
export function messageCost(channel: Channel, segments: number | undefined, prices: CreditPrices): number {
  return channel === 'sms' ? Math.max(1, segments ?? 1) * prices.smsSegment : prices.email;
}

/** The workspace a record belongs to: records from before workspaces belong to `default`. */
export function workspaceOf(record: object): string {
  const ws = (record as { workspaceId?: unknown }).workspaceId;
  return typeof ws === 'string' && ws !== '' ? ws : DEFAULT_WORKSPACE;
}

