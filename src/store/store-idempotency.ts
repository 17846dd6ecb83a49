// The storage contract of Idempotency-Key claims (both stores; test/contract/store.contract.idempotency.ts).
import type { Stamped } from './store';

/** One Idempotency-Key claim: a key is unique per client scope. */
export interface IdempotencyRecord {
  scope: string;
  key: string;
  /** Random per claim: a take-over or completion is a compare-and-set on it. */
  token: string;
  /** sha256 of the request's canonical JSON. */
  bodyHash: string;
  state: 'in-progress' | 'done';
  /** Reserved when the key is claimed, so a crashed request's notification can be found again. */
  notificationId: string;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type NewIdempotencyRecord = Omit<IdempotencyRecord, Stamped>;

export interface IdempotencyRepo {
  /** Inserts a claim; ConflictError when (scope, key) exists, whatever its state or expiry. */
  claim(r: NewIdempotencyRecord): Promise<IdempotencyRecord>;
  get(scope: string, key: string): Promise<IdempotencyRecord | null>;
  /** Replaces the record only if it still holds `token` (take-over of a stale or expired claim); null otherwise. */
  replace(scope: string, key: string, token: string, next: NewIdempotencyRecord): Promise<IdempotencyRecord | null>;
  /** in-progress -> done, only if it still holds `token`; null otherwise. */
  complete(scope: string, key: string, token: string): Promise<IdempotencyRecord | null>;
  /** Deletes the claim if it still holds `token` (a request that failed frees its key). */
  release(scope: string, key: string, token: string): Promise<boolean>;
  /** Deletes records whose expiresAt is before `now`; resolves how many. */
  pruneExpired(now: Date): Promise<number>;
}
