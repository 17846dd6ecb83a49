// Building blocks shared by every resource: ids, timestamps, pages, the error body.
import { CHANNELS } from '../../domain/types';
import { z } from './zod';

const ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
const ID_RULE = 'must be 1-128 letters, digits, ".", "_", "~" or "-"';

/** The forms a caller-facing id comes in, before it is read as a string. */
const idForms = () => [z.string().regex(ID_PATTERN, ID_RULE), z.number().int().nonnegative()] as const;

/** idSchema before its transform to a string (for effect-free twins, lean-parse.ts): same inputs accepted. */
export const idInput = z.union(idForms());

/** A caller-facing id: a string or an integer; 1 and "1" are the same record. */
export const idSchema = z
  .union(idForms(), {
    errorMap: (_issue, ctx) => ({ message: ctx.data === undefined ? 'is required' : 'must be a string or a non-negative integer' }),
  })
  .transform((v) => String(v))
  .openapi({ example: '1', description: 'a string or an integer; 1 and "1" are the same id' });

/** JavaScript's \s spelled out, so the pattern means the same to every client's regex engine. */
const SPACES = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** A display name: up to 200 characters, at least one not a space; stored trimmed. */
export const nameSchema = z
  .string()
  .max(200)
  .regex(new RegExp(`[^${SPACES}]`), 'must not be empty')
  .transform((s) => s.trim())
  .openapi({ type: 'string', maxLength: 200, pattern: `[^${SPACES}]`, example: 'Vaccination drive' });

/**
 * Params of a zod issue that refuses a value the document allows (a phone number of the documented
 * shape that no country has): route.ts answers such a request 422, not 400.
 */
export const UNPROCESSABLE = { status: 422 } as const;

/** An id taken from a URL path or a query string. */
export const idText = z.string().regex(ID_PATTERN, ID_RULE);

/** A timestamp in a response: Dates are serialised as ISO strings. */
export const dateTimeOut = z.string().openapi({ format: 'date-time', example: '2030-01-31T09:00:00.000Z' });

export const channelSchema = z.enum(CHANNELS);

/** A non-empty list of channels without repeats. */
export const channelsSchema = z
  .array(channelSchema)
  .min(1, 'must name at least one channel')
  .refine((cs) => new Set(cs).size === cs.length, 'must not repeat a channel')
  .openapi({ example: ['sms', 'email'], uniqueItems: true });

/**
 * An integer in a query string: digits only (no "", " ", "1.0" or "1e3" read as numbers), within
 * [min, max], documented with exactly those bounds.
 */
interface QueryIntRule {
  min: number;
  max?: number;
  default?: number;
  description?: string;
}

export function queryInt(o: QueryIntRule & { default: number }): z.ZodType<number, z.ZodTypeDef, string | undefined>;
export function queryInt(o: QueryIntRule & { default?: undefined }): z.ZodType<number | undefined, z.ZodTypeDef, string | undefined>;
export function queryInt(o: QueryIntRule): z.ZodTypeAny {
  let n = z.number().int('must be an integer').min(o.min, `must be at least ${o.min}`);
  if (o.max !== undefined) n = n.max(o.max, `must be at most ${o.max}`);
  const parsed = z
    .string({ invalid_type_error: 'must be an integer' })
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(n);
  // The document describes the integer the string carries, not the string.
  const doc: Record<string, unknown> = {
    type: 'integer',
    minimum: o.min,
    ...(o.max !== undefined ? { maximum: o.max } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.description ? { description: o.description } : {}),
  };
  return o.default === undefined ? parsed.optional().openapi(doc as object) : parsed.default(String(o.default)).openapi(doc as object);
}

/** Deeper than any store pages: a bound the document can state. */
export const MAX_OFFSET = 1_000_000_000;

/** `?limit=&offset=` with a default and a maximum limit. */
export function pageQuery(defaultLimit: number, maxLimit: number) {
  return {
    limit: queryInt({ min: 1, max: maxLimit, default: defaultLimit }),
    offset: queryInt({ min: 0, max: MAX_OFFSET, default: 0 }),
  };
}

export const listQuery = z.object(pageQuery(50, 500)).strict();

export function pageOf<T extends z.ZodTypeAny>(item: T, name: string) {
  return z
    .object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() })
    .openapi(name);
}

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'VALIDATION_FAILED' }),
      message: z.string(),
      issues: z.array(z.object({ field: z.string().openapi({ example: 'startTime' }), reason: z.string() })).optional(),
    }),
  })
  .openapi('Error');

/** Optional text that a PATCH may clear with null. */
export const clearableText = (max: number) => z.string().max(max).nullable().optional();

/** Replaces `null` (JSON's "remove this field") with `undefined` (the store's). */
export function nullsToUndefined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = v === null ? undefined : v;
  return out as { [K in keyof T]: Exclude<T[K], null> };
}
