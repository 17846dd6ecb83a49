// Credits on the wire: amounts are decimal numbers of credits (exact to 0.001), never floats inside.
import { LEDGER_KINDS, MAX_CREDITS, parseCredits } from '../../domain/credits';
import { dateTimeOut, idText, pageOf, pageQuery } from './common';
import { z } from './zod';

/** A positive number of credits, as a JSON number or a decimal string; becomes integer milli-credits. */
export const creditAmountIn = z
  .unknown()
  .transform((v, ctx) => {
    if (v === undefined || v === null) {
      ctx.addIssue({ code: 'custom', message: 'is required' });
      return z.NEVER;
    }
    const r = parseCredits(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason });
    else if (r.milli <= 0) ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
    return r.ok ? r.milli : z.NEVER;
  })
  .openapi({
    type: 'number', minimum: 0, exclusiveMinimum: true, maximum: MAX_CREDITS, multipleOf: 0.001, example: 25.5,
    description: 'credits, > 0, at most 3 decimals (1 milli-credit); a decimal string such as "25.5" is read the same',
  });

const credits = (description: string) => z.number().openapi({ description, example: 99.7 });

export const workspaceParams = z.object({ id: idText.openapi({ description: 'workspace id', example: 'default' }) });

export const topUpCreateSchema = z
  .object({ amount: creditAmountIn, note: z.string().min(1).max(200).optional() })
  .strict()
  .openapi('CreditTopUpCreate', { example: { amount: 50, note: 'invoice 2031-004' } });

export const topUpSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    amount: credits('credits added'),
    balance: credits('the balance right after this top-up'),
    currencyName: z.string(),
    note: z.string().optional(),
    createdAt: dateTimeOut,
  })
  .openapi('CreditTopUp');

export const creditSummarySchema = z
  .object({
    workspaceId: z.string(),
    metered: z.boolean(),
    balance: credits('credits available now, reservations taken off; null: unmetered').nullable(),
    reserved: credits('credits held by messages not yet handed to a provider'),
    currencyName: z.string().openapi({ example: 'credits' }),
    prices: z.object({ smsSegment: credits('per SMS segment'), email: credits('per e-mail') }),
  })
  .openapi('CreditSummary');

export const ledgerEntrySchema = z
  .object({
    id: z.string(),
    workspaceId: z.string(),
    kind: z.enum(LEDGER_KINDS as unknown as [string, ...string[]]),
    amount: credits('signed: what this movement did to the balance'),
    messageId: z.string().optional(),
    notificationId: z.string().optional(),
    campaignId: z.string().optional(),
    state: z.enum(['held', 'charged', 'refunded']).optional().openapi({ description: 'reserve entries: held, charged (kept) or refunded' }),
    balanceAfter: credits('top-ups and adjustments: the balance right after').optional(),
    note: z.string().optional(),
    createdAt: dateTimeOut,
  })
  .openapi('CreditLedgerEntry');

export const ledgerPageSchema = pageOf(ledgerEntrySchema, 'CreditLedgerPage');

export const ledgerQuery = z
  .object({ ...pageQuery(50, 500), kind: z.enum(LEDGER_KINDS as unknown as [string, ...string[]]).optional(), messageId: idText.optional() })
  .strict();
