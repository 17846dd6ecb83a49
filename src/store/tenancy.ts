// The storage contract of tenancy: workspaces, API keys and the shared rate-limit windows
// (part of Store, in store.ts; both adapters implement it under the same conformance suite).
import type { ApiKey, Page, PageQuery, Workspace } from '../domain/types';
import type { Stamped } from './store';

export type NewWorkspace = Omit<Workspace, Stamped>;

export interface WorkspaceRepo {
  /** ConflictError when the id exists. */
  create(w: NewWorkspace): Promise<Workspace>;
  get(id: string): Promise<Workspace | null>;
  list(q: PageQuery): Promise<Page<Workspace>>;
  /** Creates the workspace when its id is new; an existing one is left as it is. Resolves the stored one. */
  ensure(w: NewWorkspace): Promise<Workspace>;
}

export type NewApiKey = Omit<ApiKey, Stamped | 'lastUsedAt' | 'revokedAt'>;

export interface ApiKeyRepo {
  /** ConflictError when the id exists. */
  create(k: NewApiKey): Promise<ApiKey>;
  /** By id, whatever the workspace (a presented key names its id); revoked keys too. */
  get(id: string): Promise<ApiKey | null>;
  /** The workspace's keys, revoked ones included, by creation time. */
  list(ws: string, q: PageQuery): Promise<Page<ApiKey>>;
  /** Marks the key revoked (once: a second revoke keeps the first time); null when the workspace has no such key. */
  revoke(ws: string, id: string, at: Date): Promise<ApiKey | null>;
  /** Records a use; unknown ids are ignored. */
  touch(id: string, at: Date): Promise<void>;
  /** Keys not revoked, over every workspace (protected mode lasts while there are none). */
  countActive(): Promise<number>;
}

/** Fixed-window request counters shared by every server process (the HTTP rate limit). */
export interface RateLimitRepo {
  /** Counts one request of `key` in the window starting at `windowStart` (epoch ms); resolves the window's count. */
  hit(key: string, windowStart: number, expiresAt: Date): Promise<number>;
  /** Takes one request back from that window (never below zero). */
  unhit(key: string, windowStart: number): Promise<void>;
  /** Forgets every window of `key`. */
  reset(key: string): Promise<void>;
  /** Deletes windows that expired before `now`; resolves how many. */
  prune(now: Date): Promise<number>;
}

