// Usage reports: the query that picks the interval, step, zone and page, and one bucket's counters.
import { DEFAULT_PAGE_SIZE, isZone, MAX_PAGE_SIZE, parseEvery } from '../../domain/usage-buckets';
import { USAGE_COLUMNS } from '../../domain/usage';
import { channelSchema, dateTimeOut, idText } from './common';
import { z } from './zod';

const EVERY_RULE = 'must be Nhour or Nday (N from 1), 1week or 1month';
/** What parseEvery accepts, stated in the document (N has at most 4 digits). */
const EVERY_PATTERN = '^([1-9][0-9]{0,3}(hour|day)|1(week|month))$';

const intParam = (min: number, max: number, def: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be an integer' })
    .int('must be an integer')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(def)
    .openapi({ type: 'integer', default: def, minimum: min, maximum: max });

export const usageQuerySchema = z
  .object({
    start: z.string({ required_error: 'is required' }).min(1).openapi({ example: '2030-03-01', description: 'ISO date or date-time; without an offset it is read in tz' }),
    end: z.string({ required_error: 'is required' }).min(1).openapi({ example: '2030-04-01', description: 'exclusive; after start' }),
    every: z.string({ required_error: 'is required' }).refine((s) => parseEvery(s) !== null, EVERY_RULE).openapi({ example: '1day', description: EVERY_RULE, pattern: EVERY_PATTERN }),
    tz: z.string().refine(isZone, 'must be an IANA zone, e.g. Europe/Helsinki').default('UTC').openapi({ example: 'Europe/Helsinki' }),
    page: intParam(1, 1_000_000, 1),
    size: intParam(1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
    channel: channelSchema.optional(),
    provider: z.string().min(1).max(128).optional().openapi({ description: 'a provider instance id' }),
  })
  .strict();

export const usageParamsSchema = z.object({ id: idText });

const counters = Object.fromEntries(USAGE_COLUMNS.map((c) => [c, z.number()])) as Record<(typeof USAGE_COLUMNS)[number], z.ZodNumber>;

export const usageBucketSchema = z
  .object({ start: dateTimeOut, end: dateTimeOut, messages: z.number().int(), ...counters })
  .openapi('UsageBucket', {
    description:
      'Messages accepted in [start, end) by their current status (pending: not yet with a provider), SMS segments handed to providers, ' +
      'credits charged (reserved at dispatch) and refunded (given back for messages that ended unsent); credits are not split by provider, so a provider filter shows none',
  });

export const usageReportSchema = z
  .object({ items: z.array(usageBucketSchema), total: z.number().int(), page: z.number().int(), size: z.number().int() })
  .openapi('UsageReport');
