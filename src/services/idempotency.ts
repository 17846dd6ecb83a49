// Idempotency-Key: a client's retry with the same key and body gets the first answer instead of a
// second notification. The key is claimed by a unique insert; the notification id is reserved in
// the claim, so even a request that crashed half-way is found again rather than repeated.
import { createHash, randomUUID } from 'node:crypto';
import { ConflictError, UnprocessableError } from '../domain/errors';
import type { Notification } from '../domain/types';
import type { IdempotencyRecord, Store } from '../store/store';

export interface IdempotencyDeps {
  store: Store;
  config: { idempotencyHours: number };
  now?: () => Date;
  /** An in-progress claim older than this belongs to a request that died: it may be taken over. */
  staleAfterMs?: number;
}

/** Default scope of requests that do not say who they are. */
export const ANONYMOUS_SCOPE = 'anonymous';
export const DEFAULT_STALE_AFTER_MS = 30_000;
const FIELD = 'Idempotency-Key';

/** JSON with object keys sorted at every level (Dates as ISO strings): equal bodies, equal text. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(norm(value)) ?? 'null';
}

export function bodyHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

// Answers given from a stored key rather than a new acceptance (read by the HTTP layer for a header).
const replays = new WeakSet<Notification>();
export const isReplay = (n: Notification): boolean => replays.has(n);

export interface IdempotentRequest {
  scope: string;
  key: string;
  /** What must match for a retry to count as the same request. */
  body: unknown;
}

export function createIdempotency(deps: IdempotencyDeps) {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const staleAfterMs = deps.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const repo = store.idempotencyKeys;

  /** Runs `create(notificationId)` for the holder of the claim; marks the key done or frees it on failure. */
  async function runClaimed(rec: IdempotencyRecord, create: (id: string) => Promise<Notification>): Promise<Notification> {
    let n: Notification;
    try {
      n = await create(rec.notificationId);
    } catch (e) {
      // The reserved id is taken: the request we took over from was only slow, and stored it after all.
      const stored = e instanceof ConflictError ? await replay(rec.notificationId) : null;
      if (stored) {
        await repo.complete(rec.scope, rec.key, rec.token).catch(() => undefined);
        return stored;
      }
      // Refused or not stored: the key is free again (if freeing fails too, the claim goes stale and is taken over).
      await repo.release(rec.scope, rec.key, rec.token).catch(() => undefined);
      throw e;
    }
    await repo.complete(rec.scope, rec.key, rec.token).catch(() => undefined);
    return n;
  }

  async function replay(id: string): Promise<Notification | null> {
    const n = await store.notifications.get(id);
    if (n) replays.add(n);
    return n;
  }

  return {
    /**
     * The first request with a key runs `create` with a reserved notification id; a retry with the same
     * body gets that notification back (isReplay true). Another body: UnprocessableError on the
     * Idempotency-Key field. Still in progress: ConflictError.
     */
    async run(req: IdempotentRequest, create: (id: string) => Promise<Notification>): Promise<Notification> {
      const hash = bodyHash(req.body);
      for (let attempt = 0; attempt < 5; attempt++) {
        const at = now();
        const fresh = {
          scope: req.scope,
          key: req.key,
          token: randomUUID(),
          bodyHash: hash,
          state: 'in-progress' as const,
          notificationId: randomUUID(),
          expiresAt: new Date(at.getTime() + deps.config.idempotencyHours * 3_600_000),
        };
        const claimed = await repo.claim(fresh).catch((e: unknown) => {
          if (e instanceof ConflictError) return null;
          throw e;
        });
        if (claimed) return runClaimed(claimed, create);
        const existing = await repo.get(req.scope, req.key);
        if (!existing) continue; // freed meanwhile: claim again
        if (existing.expiresAt <= at) {
          // Expired keys are ignored (the test MongoDB has no TTL indexes; pruning is periodic).
          const taken = await repo.replace(req.scope, req.key, existing.token, fresh);
          if (taken) return runClaimed(taken, create);
          continue;
        }
        if (existing.bodyHash !== hash) {
          throw new UnprocessableError(
            [{ field: FIELD, reason: 'was already used with a different request body; use a new key for a new request' }],
            'Idempotency-Key reused with a different body',
          );
        }
        if (existing.state === 'done') {
          const n = await replay(existing.notificationId);
          if (n) return n;
        } else if (at.getTime() - existing.updatedAt.getTime() < staleAfterMs) {
          throw new ConflictError('a request with this Idempotency-Key is still in progress; retry later', [
            { field: FIELD, reason: 'is still in progress' },
          ]);
        } else {
          // A request that died after storing its notification: finish its claim and answer with it.
          const stored = await replay(existing.notificationId);
          if (stored) {
            await repo.complete(req.scope, req.key, existing.token).catch(() => undefined);
            return stored;
          }
        }
        // Stale (or done but its notification is gone): take it over, keeping the reserved id.
        const taken = await repo.replace(req.scope, req.key, existing.token, { ...fresh, notificationId: existing.notificationId });
        if (taken) return runClaimed(taken, create);
      }
      throw new ConflictError('a request with this Idempotency-Key is still in progress; retry later', [{ field: FIELD, reason: 'is still in progress' }]);
    },

    /** Forgets keys past their time; resolves how many. */
    prune(): Promise<number> {
      return repo.pruneExpired(now());
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
export type { IdempotencyRecord };
