import { IANAZone } from 'luxon';
import { isE164, isEmail, normalizePhone } from '../../domain/contact';
import { dateTimeOut, idSchema, idText, nameSchema, pageOf, UNPROCESSABLE } from './common';
import { z } from './zod';

export const NEEDS_CONTACT = 'a user needs a phone or an email (or both)';

const name = nameSchema;

/** What normalizePhone + isE164 accept, as one pattern: punctuation anywhere, then + and 7-15 digits, the first not 0. */
const PUNCT = '[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff().-]*';
const PHONE_PATTERN = `^${PUNCT}\\+${PUNCT}[1-9](?:${PUNCT}[0-9]){6,14}${PUNCT}$`;

const PHONE_RULE = 'must be an E.164 phone number, e.g. +254712345678';

/** The shape the document states (400 when missed); a number of that shape no country has is 422. */
const phone = z
  .string()
  .max(100)
  .regex(new RegExp(PHONE_PATTERN), PHONE_RULE)
  .transform((raw, ctx) => {
    const p = normalizePhone(raw);
    if (!isE164(p)) ctx.addIssue({ code: 'custom', message: `${PHONE_RULE}: not a valid number`, params: UNPROCESSABLE });
    return p;
  })
  .openapi({ type: 'string', maxLength: 100, pattern: PHONE_PATTERN, example: '+254712345678', description: 'E.164; spaces, dots, dashes and parentheses are removed' });

/** One @ between two non-empty sides: what `format: email` implies; a finer refusal is 422. */
const EMAIL_SHAPE = /^[^@]+@[^@]+$/;

const email = z
  .string()
  .trim()
  .max(254)
  .regex(EMAIL_SHAPE, 'must be an email address, e.g. amina@example.org')
  .refine((s) => !EMAIL_SHAPE.test(s) || isEmail(s), { message: 'must be an email address, e.g. amina@example.org', params: UNPROCESSABLE })
  .openapi({ format: 'email', example: 'amina@example.org' });

/** The same check as a user's email, for other addresses (a notification's recipients). */
export { email as emailSchema };

/** A language, an optional script and an optional region (en, sw-KE, zh-Hant-TW, es-419). */
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$/;
const LOCALE_RULE = 'must be a BCP 47 language tag, e.g. en or sw-KE';

const locale = z
  .string()
  .regex(LOCALE, LOCALE_RULE)
  .transform((raw, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(raw);
      if (canonical) return canonical;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: LOCALE_RULE });
    return z.NEVER;
  })
  .openapi({ type: 'string', pattern: LOCALE.source, example: 'sw-KE' });

/** The IANA zones this runtime knows by their canonical names (the document lists them). */
const ZONES = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])].filter((z) => IANAZone.isValidZone(z)) as [string, ...string[]];

const timezone = z
  .enum(ZONES, { errorMap: () => ({ message: 'must be an IANA time zone, e.g. Africa/Nairobi' }) })
  .openapi({ example: 'Africa/Nairobi' });

export const userCreateSchema = z
  .object({ id: idSchema.optional(), name, phone: phone.optional(), email: email.optional(), locale: locale.optional(), timezone: timezone.optional() })
  .strict()
  .superRefine((u, ctx) => {
    if (u.phone === undefined && u.email === undefined) ctx.addIssue({ code: 'custom', path: ['phone'], message: NEEDS_CONTACT });
  })
  .openapi('UserCreate', {
    anyOf: [{ required: ['phone'] }, { required: ['email'] }], example: { id: 'u1', name: 'Amina', phone: '+254712345678', email: 'amina@example.org', timezone: 'Africa/Nairobi' } });

/** A field with its own document metadata loses the generator's `nullable`: restated here. */
const NULLABLE = { nullable: true } as object;

export const userPatchSchema = z
  .object({
    name: name.optional(),
    phone: phone.nullable().optional().openapi(NULLABLE),
    email: email.nullable().optional(),
    locale: locale.nullable().optional().openapi(NULLABLE),
    timezone: timezone.nullable().optional(),
  })
  .strict()
  .openapi('UserPatch', { description: 'null clears an optional field; a user keeps at least a phone or an email' });

export const userSchema = z
  .object({
    id: z.string(),
    workspaceId: z.string().openapi({ description: 'the workspace it belongs to' }),
    name: z.string(),
    phone: z.string().optional(),
    email: z.string().optional(),
    locale: z.string().optional(),
    timezone: z.string().optional(),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .openapi('User');

export const userPageSchema = pageOf(userSchema, 'UserPage');

export const userParams = z.object({ userId: idText });
