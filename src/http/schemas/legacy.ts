// The original system's body, kept working: POST / with MM/DD/YYYY HH:mm times and snake_case ids.
import { idSchema } from './common';
import { z } from './zod';

const LEGACY_TIME_RULE = 'must be MM/DD/YYYY HH:mm, e.g. 08/27/2019 21:04';
const legacyTime = z.string().regex(/^\s*\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}\s*$/, LEGACY_TIME_RULE);

/** Any other top-level field is event data (as it was in the original system). */
export const legacyBodySchema = z
  .object({
    start_time: legacyTime.openapi({ example: '08/27/2019 21:04' }),
    // The original clients sent null or "" for an open window.
    end_time: z.union([legacyTime, z.literal('')]).nullable().optional().openapi({ example: '08/27/2019 22:04' }),
    program_id: idSchema,
    event_type_id: idSchema,
    data: z.record(z.unknown()).optional(),
  })
  .passthrough()
  .openapi('LegacyNotification', {
    description: 'times are wall times in the configured legacy zone; other fields become the event data',
    example: { start_time: '08/27/2019 21:04', end_time: '08/27/2019 22:04', program_id: 1, event_type_id: '1' },
  });

export { LEGACY_TIME_RULE };
