// The consolidated log's sink: every line, in batches, to the store; kept while the store is down,
// dropped (counted, with a warning) when the store can never write it.
import Transport from 'winston-transport';
import { StoreUnavailableError } from '../domain/errors';
import type { LogLine } from '../domain/types';
import type { LogRepo } from '../store/store';
import { withinStoreTimeoutOnce } from '../store/call-timeout';

const KNOWN = new Set(['level', 'message', 'process', 'workspaceId', 'notificationId', 'messageId', 'timestamp']);

/**
 * What a store throws for a line it can never write, whatever its state: SQLite's JSON of a BigInt or a
 * cycle (TypeError), MongoDB's BSON of a cycle (BSONError) or of a document over 16 MB (RangeError), a
 * value over SQLite's length limit. A store that is down throws StoreUnavailableError (timeouts too).
 */
function refusesLines(e: unknown): boolean {
  if (e instanceof StoreUnavailableError) return false;
  // By name: Node's own errors (the BSON buffer's RangeError) may come from another realm than this module's.
  const err = e as { name?: unknown; code?: unknown };
  return err?.name === 'TypeError' || err?.name === 'RangeError' || err?.name === 'BSONError' || err?.code === 'SQLITE_TOOBIG';
}

/** At most one warning about refused lines in this time, with the count since the last one. */
const DROP_WARNING_MS = 60_000;

/**
 * Sends every line to the store's consolidated log. Lines are buffered for at most
 * `flushMs` and written in batches; while the store is down they wait in a bounded
 * buffer (oldest dropped past `maxBuffer`) and stdout still has them. A batch the store
 * refuses is written in halves until the line refused is alone: that one is dropped.
 */
export class StoreLogTransport extends Transport {
  private buffer: LogLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Off its logger (the store is being closed): a failed write is not tried again. */
  private detached = false;
  /** The most lines a write takes: halved while a refused batch is split, unbounded otherwise. */
  private maxBatch = Infinity;
  private refusedSinceWarning = 0;
  private lastWarning = -Infinity;
  dropped = 0;

  constructor(
    private readonly repo: LogRepo,
    /**
     * callTimeoutMs: the next flush does not wait longer than this for an append (its lines come back only if it fails), so the sink never wedges.
     * warn: where a refused line is reported (not retried: the line is dropped).
     */
    private readonly opts: { flushMs?: number; maxBuffer?: number; level?: string; callTimeoutMs?: number; warn?: (message: string, meta: Record<string, unknown>) => void } = {},
  ) {
    super({ level: opts.level });
  }

  override log(info: Record<string, unknown>, next: () => void): void {
    let meta: Record<string, unknown> | undefined;
    for (const k in info) if (!KNOWN.has(k)) (meta ??= {})[k] = info[k];
    this.pushLine({
      time: info.timestamp ? new Date(String(info.timestamp)) : new Date(),
      level: String(info.level),
      process: String(info.process ?? 'unknown'),
      message: String(info.message),
      workspaceId: info.workspaceId as string | undefined,
      notificationId: info.notificationId as string | undefined,
      messageId: info.messageId as string | undefined,
      meta,
    });
    next();
  }

  /** Buffers one line for the next batch (winston's lines and the workers' direct ones). */
  pushLine(line: LogLine): void {
    this.buffer.push(line);
    const max = this.opts.maxBuffer ?? 10_000;
    if (this.buffer.length > max) {
      this.dropped += this.buffer.length - max;
      this.buffer.splice(0, this.buffer.length - max);
    }
    if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.opts.flushMs ?? 200);
  }

  /** Writes what is buffered; resolves when written (or when the write failed and lines were kept). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.writeBuffer());
    return this.flushing;
  }

  /** One batch; more while a refused batch is being split (its halves, then the rest of the buffer). */
  private async writeBuffer(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.length <= this.maxBatch ? this.buffer : this.buffer.slice(0, this.maxBatch);
      this.buffer = batch === this.buffer ? [] : this.buffer.slice(batch.length);
      let answered = false;
      let refused = false;
      // Lines come back to the buffer only once their append failed: one given up on (StoreTimeoutError)
      // may still land, and written again meanwhile they would be in the log twice.
      await withinStoreTimeoutOnce(this.repo.append(batch), this.opts.callTimeoutMs ?? 0, 'logs.append', (e) => {
        refused = refusesLines(e);
        if (refused) this.splitOrDrop(batch, e, answered);
        else this.keepForLater(batch);
      }).catch(() => undefined);
      answered = true;
      if (!refused && this.maxBatch === Infinity) return;
      if (this.buffer.length === 0) this.maxBatch = Infinity;
    }
  }

  private keepForLater(batch: LogLine[]): void {
    this.buffer = batch.concat(this.buffer);
    // Closed, a retry would go on every 2 s forever against a closed store (and the process would never end).
    if (!this.timer && !this.detached) this.timer = setTimeout(() => void this.flush(), 2000);
  }

  /** A refused batch goes back halved; a line refused alone never will be written. `late`: no flush is waiting on it. */
  private splitOrDrop(batch: LogLine[], e: unknown, late: boolean): void {
    if (batch.length > 1) {
      this.buffer = batch.concat(this.buffer);
      this.maxBatch = Math.ceil(batch.length / 2);
      if (late && !this.timer && !this.detached) this.timer = setTimeout(() => void this.flush(), 0);
      return;
    }
    this.dropped++;
    this.maxBatch = Infinity;
    this.refusedSinceWarning++;
    const now = Date.now();
    if (now - this.lastWarning < DROP_WARNING_MS) return;
    this.lastWarning = now;
    this.opts.warn?.('a log line the store cannot write was dropped', {
      error: String((e as Error)?.message ?? e),
      line: batch[0].message.slice(0, 200),
      refused: this.refusedSinceWarning,
    });
    this.refusedSinceWarning = 0;
  }

  override close(): void {
    this.detached = true;
    void this.flush();
  }
}
