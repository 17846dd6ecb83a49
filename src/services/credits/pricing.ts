// What a message costs in a workspace: its own prices over the configured defaults, in milli-credits.
import type { HeraldConfig } from '../../config';
import { MILLI_PER_CREDIT, parseCredits, type CreditAccount, type CreditPrices } from '../../domain/credits';

export type CreditsConfig = Pick<HeraldConfig, 'credits'>;

/** Config values are validated as exact credits at load time. */
export function milli(credits: number): number {
  const r = parseCredits(credits);
  return r.ok ? r.milli : Math.round(credits * MILLI_PER_CREDIT);
}

export function defaultPrices(config: CreditsConfig): CreditPrices {
  return { smsSegment: milli(config.credits.smsSegmentPrice), email: milli(config.credits.emailPrice) };
}

export function pricesOf(account: CreditAccount | null, config: CreditsConfig): CreditPrices {
  return { ...defaultPrices(config), ...(account?.prices ?? {}) };
}
