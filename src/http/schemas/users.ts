import { IANAZone } from 'luxon';
import { isE164, isEmail, normalizePhone } from '../../domain/contact';
import { dateTimeOut, idSchema, idText, pageOf } from './common';
import { z } from './zod';

export const NEEDS_CONTACT = 'a user needs a phone or an email (or both)';

const name = z.string().trim().min(1, 'must not be empty').max(200);

const phone = z
  .string()
  .transform((raw, ctx) => {
    const p = normalizePhone(raw);
    if (!p || !isE164(p)) ctx.addIssue({ code: 'custom', message: 'must be an E.164 phone number, e.g. +254712345678' });
    return p ?? z.NEVER;
  })
  .openapi({ example: '+254712345678', description: 'E.164; spaces and dashes are removed' });

const email = z
  .string()
  .trim()
  .max(254)
  .refine((s) => isEmail(s), 'must be an email address, e.g. amina@example.org')
  .openapi({ format: 'email', example: 'amina@example.org' });

const locale = z
  .string()
  .transform((raw, ctx) => {
    try {
      const [canonical] = Intl.getCanonicalLocales(raw.trim());
      if (canonical) return canonical;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag, e.g. en or sw-KE' });
    return z.NEVER;
  })
  .openapi({ example: 'sw-KE' });

const timezone = z
  .string()
  .refine((s) => IANAZone.isValidZone(s), 'must be an IANA time zone, e.g. Africa/Nairobi')
  .openapi({ example: 'Africa/Nairobi' });

export const userCreateSchema = z
  .object({ id: idSchema.optional(), name, phone: phone.optional(), email: email.optional(), locale: locale.optional(), timezone: timezone.optional() })
  .strict()
  .superRefine((u, ctx) => {
    if (u.phone === undefined && u.email === undefined) ctx.addIssue({ code: 'custom', path: ['phone'], message: NEEDS_CONTACT });
  })
  .openapi('UserCreate', { example: { id: 'u1', name: 'Amina', phone: '+254712345678', email: 'amina@example.org', timezone: 'Africa/Nairobi' } });

export const userPatchSchema = z
  .object({
    name: name.optional(),
    phone: phone.nullable().optional(),
    email: email.nullable().optional(),
    locale: locale.nullable().optional(),
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
