// Pure helpers both store adapters share, so MongoDB and SQLite give exactly the same answers.
import { CHANNELS, type Channel, type Subscriber, type User } from '../domain/types';

/** winston's npm levels: a query's `level` is a maximum rank (error < warn < info < debug). */
export const LOG_LEVEL_RANK: Readonly<Record<string, number>> = {
  error: 0,
  warn: 1,
  info: 2,
  http: 3,
  verbose: 4,
  debug: 5,
  silly: 6,
};

export function levelRank(level: string): number {
  return LOG_LEVEL_RANK[level] ?? LOG_LEVEL_RANK.info;
}

/** Byte order of the UTF-8 encoding: how both MongoDB and SQLite (BINARY) sort strings. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Scope key of a subscription: one per (user, program, event type or all). '*' cannot clash with 'e:...'. */
export function subscriptionScope(eventTypeId: string | undefined): string {
  return eventTypeId === undefined ? '*' : `e:${eventTypeId}`;
}

export interface SubscriptionRow {
  userId: string;
  channels: Channel[];
}

/**
 * Merges two keyset pages (direct and program-wide subscriptions, each sorted by userId, each at
 * most `limit` long, at most one row per user) into the first `limit` users with their channel
 * union. A user among the first `limit` of the union is always within the first `limit` of each
 * page it appears in, so no user's subscriptions are cut in two.
 */
export function mergeSubscriptionPages(
  a: SubscriptionRow[],
  b: SubscriptionRow[],
  limit: number,
): Array<{ userId: string; channels: Channel[] }> {
  const byUser = new Map<string, Set<Channel>>();
  for (const row of [...a, ...b]) {
    const set = byUser.get(row.userId) ?? new Set<Channel>();
    for (const c of row.channels) set.add(c);
    byUser.set(row.userId, set);
  }
  return [...byUser.keys()]
    .sort(compareIds)
    .slice(0, limit)
    .map((userId) => ({ userId, channels: CHANNELS.filter((c) => byUser.get(userId)!.has(c)) }));
}

/** Joins merged rows with the users found; subscriptions of users that no longer exist are skipped. */
export function joinSubscribers(rows: Array<{ userId: string; channels: Channel[] }>, users: User[]): Subscriber[] {
  const byId = new Map(users.map((u) => [u.id, u]));
  const out: Subscriber[] = [];
  for (const r of rows) {
    const user = byId.get(r.userId);
    if (user && r.channels.length > 0) out.push({ user, channels: r.channels });
  }
  return out;
}

/**
 * Walks keyset batches until `limit` subscribers are found or the subscriptions end, so that
 * skipped (deleted) users never make an empty answer that is not the end.
 */
export async function collectSubscribers(
  afterUserId: string | undefined,
  limit: number,
  fetchPages: (after: string | undefined, n: number) => Promise<[SubscriptionRow[], SubscriptionRow[]]>,
  fetchUsers: (ids: string[]) => Promise<User[]>,
): Promise<Subscriber[]> {
  const out: Subscriber[] = [];
  let after = afterUserId;
  while (out.length < limit) {
    const want = limit - out.length;
    const [direct, wide] = await fetchPages(after, want);
    const merged = mergeSubscriptionPages(direct, wide, want);
    if (merged.length === 0) break;
    out.push(...joinSubscribers(merged, await fetchUsers(merged.map((m) => m.userId))));
    after = merged[merged.length - 1].userId;
    if (merged.length < want) break;
  }
  return out;
}

/** Channels of one user's rows, deduplicated, in CHANNELS order (as mergeSubscriptionPages gives them). */
const unionRow = (a: SubscriptionRow, b?: SubscriptionRow): SubscriptionRow => ({
  userId: a.userId,
  channels: CHANNELS.filter((c) => a.channels.includes(c) || (b?.channels.includes(c) ?? false)),
});

/**
 * Merges two streams of subscription rows (one scope each, sorted by userId, at most one row per
 * user) into one sorted stream with one row per user and the union of its channels.
 */
export async function* mergeScopeStreams(a: AsyncIterable<SubscriptionRow>, b: AsyncIterable<SubscriptionRow>): AsyncGenerator<SubscriptionRow> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  try {
    let [ra, rb] = await Promise.all([ia.next(), ib.next()]);
    while (!ra.done || !rb.done) {
      const c = ra.done ? 1 : rb.done ? -1 : compareIds(ra.value.userId, rb.value.userId);
      if (c === 0) {
        yield unionRow(ra.value, rb.value);
        [ra, rb] = await Promise.all([ia.next(), ib.next()]);
      } else if (c < 0) {
        yield unionRow(ra.value);
        ra = await ia.next();
      } else {
        yield unionRow(rb.value);
        rb = await ib.next();
      }
    }
  } finally {
    await Promise.all([ia.return?.(), ib.return?.()]);
  }
}

/**
 * Cuts merged rows into batches of `batchSize` existing users, joined per batch, with the same
 * boundaries as repeated collectSubscribers calls (rows of missing users are skipped, not counted).
 */
export async function* batchSubscribers(
  rows: AsyncIterable<SubscriptionRow>,
  batchSize: number,
  fetchUsers: (ids: string[]) => Promise<User[]>,
): AsyncGenerator<Subscriber[]> {
  let out: Subscriber[] = [];
  let pending: SubscriptionRow[] = [];
  const join = async (): Promise<void> => {
    out.push(...joinSubscribers(pending, await fetchUsers(pending.map((r) => r.userId))));
    pending = [];
  };
  for await (const row of rows) {
    pending.push(row);
    if (out.length + pending.length < batchSize) continue;
    await join();
    if (out.length < batchSize) continue;
    yield out;
    out = [];
  }
  if (pending.length > 0) await join();
  if (out.length > 0) yield out;
}

/** Splits a patch into fields to set and fields to remove (present with value undefined). */
export function splitPatch(patch: object, immutable: readonly string[] = []): { set: Record<string, unknown>; unset: string[] } {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (immutable.includes(k)) continue;
    if (v === undefined) unset.push(k);
    else set[k] = v;
  }
  return { set, unset };
}

/** Fields no patch may change. */
export const ALWAYS_IMMUTABLE = ['id', 'createdAt', 'updatedAt'] as const;

/** Nor may any move a record to another workspace. */
export const OWNED_IMMUTABLE = [...ALWAYS_IMMUTABLE, 'workspaceId'] as const;

export function clampPage(q: { limit: number; offset: number }): { limit: number; offset: number } {
  return { limit: Math.max(0, Math.floor(q.limit)), offset: Math.max(0, Math.floor(q.offset)) };
}

/** Wraps every method of a repo so failures reach callers as Herald errors (via `map`). */
export function guardRepo<T extends object>(repo: T, map: (e: unknown) => unknown): T {
  const out: Record<string, unknown> = {};
  for (const [k, fn] of Object.entries(repo)) {
    if (typeof fn !== 'function') out[k] = fn;
    // A walk (async generator) stays an iterable: its failures are mapped as they surface.
    else if (Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]') out[k] = (...args: unknown[]) => guardIterable(fn(...args), map);
    else {
      out[k] = async (...args: unknown[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          throw map(e);
        }
      };
    }
  }
  return out as T;
}

async function* guardIterable<T>(it: AsyncIterable<T>, map: (e: unknown) => unknown): AsyncGenerator<T> {
  try {
    yield* it;
  } catch (e) {
    throw map(e);
  }
}
