// A usage report: the page's buckets in the caller's zone, each the sum of the hourly counter
// rows inside it. Reads only rollup rows of the page's range: independent of the message count.
// A recipient's hourly rows are counted by the store from its messages (UsageRepo.hourly).
import { ValidationError } from '../../domain/errors';
import type { Channel } from '../../domain/types';
import { bucketsAt, countBuckets, MAX_BUCKETS, type Bucket, type Every } from '../../domain/usage-buckets';
import { USAGE_COLUMNS, zeroCounters, type UsageCounters, type UsageDimension } from '../../domain/usage';
import type { UsageRepo } from '../../store/store';

export interface UsageRequest {
  workspaceId: string;
  dimension: UsageDimension;
  key: string;
  start: Date;
  end: Date;
  every: Every;
  tz: string;
  page: number;
  size: number;
  channel?: Channel;
  provider?: string;
}

export interface UsageBucket extends UsageCounters {
  start: Date;
  end: Date;
  /** Messages in every status column. */
  messages: number;
}

export interface UsageReport {
  items: UsageBucket[];
  /** Buckets in [start, end), over every page. */
  total: number;
  page: number;
  size: number;
}

const STATUS_COLUMNS = USAGE_COLUMNS.filter((c) => !['segments', 'creditsCharged', 'creditsRefunded'].includes(c));

function emptyBucket(b: Bucket): UsageBucket {
  return { start: b.start, end: b.end, messages: 0, ...zeroCounters() };
}

export async function usageReport(repo: UsageRepo, r: UsageRequest): Promise<UsageReport> {
  if (r.end.getTime() <= r.start.getTime()) throw new ValidationError([{ field: 'end', reason: 'must be after start' }]);
  const total = countBuckets(r.start, r.end, r.every, r.tz);
  if (total > MAX_BUCKETS) {
    throw new ValidationError([{ field: 'every', reason: `gives more than ${MAX_BUCKETS} buckets between start and end; use a longer step or a shorter range` }]);
  }
  const first = (r.page - 1) * r.size;
  const buckets = first < total ? bucketsAt(r.start, r.end, r.every, r.tz, first, Math.min(r.size, total - first)) : [];
  if (buckets.length === 0) return { items: [], total, page: r.page, size: r.size };
  const items = buckets.map(emptyBucket);
  const hours = await repo.hourly({
    workspaceId: r.workspaceId, dimension: r.dimension, key: r.key, channel: r.channel, provider: r.provider,
    from: buckets[0].start, to: buckets[buckets.length - 1].end,
  });
  let i = 0;
  for (const h of hours) {
    // Both are sorted: walk the buckets forward to the one holding this hour.
    while (i < items.length - 1 && h.hour.getTime() >= items[i].end.getTime()) i++;
    for (const c of USAGE_COLUMNS) items[i][c] += h.counts[c];
  }
  for (const b of items) b.messages = STATUS_COLUMNS.reduce((n, c) => n + b[c as keyof UsageCounters], 0);
  return { items, total, page: r.page, size: r.size };
}
