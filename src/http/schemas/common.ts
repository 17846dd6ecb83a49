// Building blocks shared by every resource: ids, timestamps, pages, the error body.
import { CHANNELS } from '../../domain/types';
import { z } from './zod';

const ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
const ID_RULE = 'must be 1-128 letters, digits, ".", "_", "~" or "-"';

/** A caller-facing id: a string or an integer; 1 and "1" are the same record. */
export const idSchema = z
  .union([z.string().regex(ID_PATTERN, ID_RULE), z.number().int().nonnegative()], {
    errorMap: (_issue, ctx) => ({ message: ctx.data === undefined ? 'is required' : 'must be a string or a non-negative integer' }),
  })
  .transform((v) => String(v))
  .openapi({ example: '1', description: 'a string or an integer; 1 and "1" are the same id' });

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
  .openapi({ example: ['sms', 'email'] });

/** `?limit=&offset=` with a default and a maximum limit. */
export function pageQuery(defaultLimit: number, maxLimit: number) {
  return {
    limit: z.coerce
      .number({ invalid_type_error: 'must be an integer' })
      .int('must be an integer')
      .min(1, 'must be at least 1')
      .max(maxLimit, `must be at most ${maxLimit}`)
      .default(defaultLimit)
      .openapi({ type: 'integer', default: defaultLimit, maximum: maxLimit }),
    offset: z.coerce
      .number({ invalid_type_error: 'must be an integer' })
      .int('must be an integer')
      .min(0, 'must be at least 0')
      .default(0)
      .openapi({ type: 'integer', default: 0 }),
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
