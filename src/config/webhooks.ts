// Settings of status webhooks to the client (HERALD_WEBHOOKS_*): safety, timeouts, retries.
import { z } from 'zod';

const ms = (def: number, min = 1) => z.number().int().min(min).default(def);

export const webhooksConfigSchema = z
  .object({
    /** Endpoints on loopback, link-local and private addresses (checked again at every connect): off unless the operator allows them. */
    allowPrivate: z.boolean().default(false),
    /** One attempt: connect, answer and body within this. */
    timeoutMs: ms(10_000, 100),
    /** At most this much of an answer body is read (its status is what counts); the rest is not. */
    maxResponseBytes: z.number().int().min(1).default(64 * 1024),
    /** Backoff of retries: exponential from base to max, with jitter; tries go on for retryForMs after the event. */
    retryBaseMs: ms(10_000),
    retryMaxMs: ms(2 * 3_600_000),
    retryForMs: ms(26 * 3_600_000),
    /** An endpoint whose attempts all failed for this long is disabled (flag and log line). */
    disableAfterMs: ms(24 * 3_600_000),
    /** Attempts in flight per endpoint per process: a slow endpoint holds only its own slots. */
    concurrencyPerEndpoint: z.number().int().min(1).max(100).default(4),
    /** How often the delivery worker looks for due deliveries. */
    pollMs: ms(1_000, 10),
    /** How long a process trusts its list of endpoints (new or changed endpoints are seen after at most this). */
    endpointCacheMs: ms(2_000, 0),
    /** Message events are buffered this long in the process that changed the status, then queued as one batch. */
    flushMs: ms(50),
    /** How often the webhook worker's catch-up sweep reads message changes the live path may have lost (a killed process). */
    sweepMs: ms(5_000, 10),
    /** The sweep reads changes at least this old, so the live path goes first (what both record is delivered once). */
    sweepLagMs: ms(10_000, 0),
    /** Finished deliveries (succeeded or failed) are kept this many days, then deleted. */
    retentionDays: z.number().min(0.001).default(14),
  })
  .refine((w) => w.retryMaxMs >= w.retryBaseMs, { message: 'retryMaxMs must be at least retryBaseMs', path: ['retryMaxMs'] })
  .default({});

export type WebhooksConfig = z.infer<typeof webhooksConfigSchema>;
