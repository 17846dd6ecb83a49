import { idText, dateTimeOut, pageQuery, queryInt } from './common';
import { isoTime } from './notifications';
import { z } from './zod';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export const logQuerySchema = z
  .object({
    workspaceId: idText.optional().openapi({ description: "admin only: one workspace's lines (others always see only their own)" }),
    notificationId: idText.optional(),
    messageId: z.string().min(1).max(400).optional().openapi({ description: 'a message id, whole or as the lines show it (a phone number in it is masked there)' }),
    level: z.enum(LOG_LEVELS).optional().openapi({ description: 'minimum level: error < warn < info < debug' }),
    process: z.string().min(1).max(100).optional(),
    since: isoTime.optional(),
    until: isoTime.optional().openapi({ description: 'only lines at or before this time' }),
    grep: z.string().min(1).max(200).optional().openapi({ description: 'only lines whose message contains this text (literal, any case)' }),
    afterSeq: queryInt({
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      description: 'only lines after this seq (for following; a line of another process can land a moment after a higher seq, so a follower re-reads the last few seconds and skips the seqs it has: `herald logs --follow` does)',
    }),
    limit: pageQuery(200, 1000).limit,
    newest: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .openapi({ description: 'the newest `limit` lines (still oldest first), like tail' }),
  })
  .strict();

export const logLineSchema = z
  .object({
    seq: z.number().int().optional(),
    time: dateTimeOut,
    level: z.string(),
    process: z.string(),
    message: z.string(),
    workspaceId: z.string().optional(),
    notificationId: z.string().optional(),
    messageId: z.string().optional(),
    meta: z.record(z.unknown()).optional(),
  })
  .openapi('LogLine');

export const logListSchema = z.object({ items: z.array(logLineSchema) }).openapi('LogLines');
