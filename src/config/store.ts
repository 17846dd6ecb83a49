// Bounds on store calls (HERALD_STORE_CALL_TIMEOUT_MS, HERALD_MONGO_*): a call that never settles must not wedge a loop.
import { z } from 'zod';

const ms = (def: number, min: number) => z.number().int().min(min).default(def);

export const storeConfigSchema = z
  .object({
    /**
     * The loops that run one round at a time (scheduler and campaign steps, provider refresh, webhook rounds and sweep, the webhook
     * endpoint cache, dashboard streams, the log sink) give up waiting on a store call after this
     * (StoreTimeoutError) so the next round runs.
     * A backstop above the driver's own bounds; 0: no bound.
     */
    callTimeoutMs: ms(30_000, 0),
    mongo: z
      .object({
        /** While MongoDB is away an operation fails after this (503), not 30 s later. */
        serverSelectionTimeoutMs: ms(1_500, 100),
        /** An operation whose socket goes silent fails after this (each round trip: a long cursor's getMore too, not its whole walk). */
        socketTimeoutMs: ms(20_000, 100),
      })
      .default({}),
  })
  .default({});

export type StoreConfig = z.infer<typeof storeConfigSchema>;
