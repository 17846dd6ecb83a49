// Phone and email address checks for users and bulk recipients: libphonenumber-js decides what
// a phone number is (per-country lengths and prefixes), zod's own check what an address is.
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';

/** Characters people type inside phone numbers that carry no digits. */
const PHONE_PUNCTUATION = /[\s\-().]/g;
const E164_SHAPE = /^\+[1-9]\d{6,14}$/;

/** A region code libphonenumber knows (ISO 3166 alpha-2, e.g. KE), for `phone.defaultRegion`. */
export function isSupportedRegion(region: string): boolean {
  return isSupportedCountry(region);
}

/** Already E.164 (`+` and digits, no spaces) and a valid number of its country. */
export function isE164(phone: string): boolean {
  return E164_SHAPE.test(phone) && toE164(phone) === phone;
}

/**
 * Removes spaces, dashes, dots and parentheses, keeping a leading `+`. Never adds a country
 * code: `0712 345 678` stays national (`0712345678`); toE164 with a region converts it.
 */
export function normalizePhone(phone: string): string {
  return phone.trim().replace(PHONE_PUNCTUATION, '');
}

/**
 * The number in E.164 when it is a valid number: international form (`+254 712 345678`) always,
 * national form (`0712 345678`) only with `defaultRegion`. Undefined otherwise.
 */
export function toE164(raw: string, defaultRegion?: string): string | undefined {
  const region = defaultRegion && isSupportedRegion(defaultRegion) ? (defaultRegion as CountryCode) : undefined;
  const text = raw.trim();
  if (!text.startsWith('+') && !region) return undefined;
  const parsed = parsePhoneNumberFromString(text, region);
  return parsed?.isValid() ? parsed.number : undefined;
}

// zod checks the shape; RFC 5321's length limits (254 in all, 64 before the @) it leaves to us.
const emailCheck = z
  .string()
  .max(254)
  .email()
  .refine((a) => a.lastIndexOf('@') <= 64);

/** An e-mail address as zod's validator judges it, within RFC 5321's lengths. */
export function isEmail(addr: string): boolean {
  return emailCheck.safeParse(addr).success;
}
