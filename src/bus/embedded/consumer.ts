// A consumer of the embedded queue: claims ready jobs (at most `prefetch` running at once) on
// every poll tick, every publish in this process and every finished handler; under load, a batch of
// free slots at a time. A finished job's settlement rides in the next claim's commit (or the next
// poll tick's): one transaction and one fsync for several jobs, each answered once it is durable.
// A look that has nothing to settle claims only if a read finds a job ready: an idle queue's polls write nothing.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Consumer, Delivery, Handler, HandlerResult, QueueName, SplitPart } from '../bus';
import type { Logger } from '../../log/logger';
import { HEADER_ATTEMPT, HEADER_ORIGINAL_QUEUE, HEADER_REASON, parseBody, runHandler } from '../amqp/run-handler';
import type { JobPart, JobRow, JobStore } from './job-store';

export interface EmbeddedConsumerDeps {
  store: JobStore;
  /** Emits the queue name after each publish to the same file in this process. */
  wake: EventEmitter;
  pollMs: number;
  visibilityMs: number;
  drainTimeoutMs: number;
  logger?: Logger;
}

export class EmbeddedConsumer implements Consumer {
  private readonly held = new Map<number, { token: string; done: Promise<void> }>();
  /** Settlements of finished jobs not yet asked of the store: written with the next claim or poll tick (one commit). */
  private toSettle: Array<{ write: () => boolean; answer: (kept: boolean | undefined) => void }> = [];
  /** Held jobs whose handler has finished: their slots are free again, their settlement commits soon. */
  private settling = 0;
  /** Under load a claim waits for this many free slots (or the next poll tick): fewer, larger claims. */
  private readonly batch: number;
  private readonly pollTimer: NodeJS.Timeout;
  private readonly leaseTimer: NodeJS.Timeout;
  private readonly onWake = (q: string) => {
    if (q === this.queue) this.kick(false);
  };
  private scheduled = false;
  private eager = false;
  private claiming = false;
  /** The claim under way (its commit, then starting or releasing what it claimed): a cancel waits for it. */
  private claimRun: Promise<void> = Promise.resolve();
  /** The lease renewal queued in the store's group commit, if any: a cancel waits for it before the bus may close the file. */
  private renewing: Promise<unknown> | undefined;
  private kickedWhileClaiming = false;
  /** A poll tick landed during the claim: the kick after it stays eager (or the free slot waits a whole pollMs). */
  private eagerWhileClaiming = false;
  private cancelled = false;
  private cancelling: Promise<void> | undefined;

  constructor(
    private readonly deps: EmbeddedConsumerDeps,
    private readonly queue: QueueName,
    private readonly handler: Handler,
    private readonly prefetch: number,
    private readonly onCancelled: (c: EmbeddedConsumer) => void,
  ) {
    this.batch = Math.max(1, Math.floor(prefetch / 4));
    this.pollTimer = setInterval(() => {
      this.flushSettlements();
      this.kick(true);
    }, deps.pollMs);
    // Long handlers keep their jobs: the lease is renewed well before it runs out.
    this.leaseTimer = setInterval(() => this.renewLeases(), Math.max(10, Math.floor(deps.visibilityMs / 3)));
    deps.wake.on('published', this.onWake);
    this.kick(true);
  }

  cancel(): Promise<void> {
    this.cancelling ??= this.stop();
    return this.cancelling;
  }

  private async stop(): Promise<void> {
    this.cancelled = true;
    clearInterval(this.pollTimer);
    this.flushSettlements();
    this.deps.wake.off('published', this.onWake);
    // A claim being committed now leases its jobs to this consumer: they go back to the queue (start)
    // before the bus may close the file, or nobody would release them until their lease ran out.
    await this.claimRun;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.deps.drainTimeoutMs);
    });
    const drained = Promise.allSettled([...this.held.values()].map((h) => h.done)).then(() => false);
    const late = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    clearInterval(this.leaseTimer);
    // A renewal still queued (in `herald all`, waiting for another thread's write lock) must commit
    // before the store closes: afterwards it would fail on a closed connection.
    await this.renewing;
    if (late) this.releaseHeld();
    this.onCancelled(this);
  }

  /** Gives the jobs of handlers still running back to the queue at once (delivered again, redelivered=true). */
  private releaseHeld(): void {
    this.deps.logger?.warn('embedded consumer: handlers still running at cancel; their jobs will be redelivered', {
      queue: this.queue,
      inFlight: this.held.size,
    });
    for (const [id, h] of this.held) this.safely(() => this.deps.store.setLease(id, h.token, 0));
    this.held.clear();
  }

  /** `eager`: claim whatever slot is free (a poll tick); otherwise only a batch of them while jobs are running. */
  private kick(eager: boolean): void {
    this.eager ||= eager;
    if (this.scheduled || this.cancelled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const e = this.eager;
      this.eager = false;
      this.pump(e);
    });
  }

  private pump(eager: boolean): void {
    if (this.cancelled || !this.deps.store.isOpen) return;
    if (this.claiming) {
      this.kickedWhileClaiming = true;
      this.eagerWhileClaiming ||= eager;
      return;
    }
    const running = this.held.size - this.settling;
    const free = this.prefetch - running;
    if (free <= 0 || (!eager && running > 0 && free < this.batch)) return;
    // Nothing to settle and nothing ready (an idle queue, jobs not yet due): no claim, so no write lock, commit or fsync.
    // A job that becomes ready later is claimed as before: a publish here or in another thread kicks, a finished job
    // kicks once its settlement is durable, the next poll tick looks again (other processes, delays, lapsed leases).
    if (this.toSettle.length === 0 && !this.anyReady()) return;
    // The settlements queued meanwhile share the claim's transaction and its one fsync.
    this.flushSettlements();
    const token = randomUUID();
    // The claim joins the store's next group commit (with the settlements of the same turn): one fsync for both.
    this.claiming = true;
    this.kickedWhileClaiming = false;
    this.eagerWhileClaiming = false;
    let claimed = 0;
    this.claimRun = this.deps.store
      .later(() => this.deps.store.claim(this.queue, free, token, this.deps.visibilityMs))
      .then(
        (rows) => {
          claimed = rows.length;
          return this.start(rows, token);
        },
        (err: unknown) => {
          this.deps.logger?.warn('embedded queue: claim failed', { queue: this.queue, error: (err as Error).message });
        },
      )
      .finally(() => {
        this.claiming = false;
        // More may be ready (a full claim), or a publish or a finished job asked meanwhile.
        if (claimed > 0 || this.kickedWhileClaiming) this.kick(this.eagerWhileClaiming);
      });
  }

  /** A read of the queue file (no write); on an error a claim tries, and logs what fails. */
  private anyReady(): boolean {
    try {
      return this.deps.store.hasReady(this.queue);
    } catch {
      return true;
    }
  }

  /** Starts the claimed jobs; once cancelled, gives them straight back to the queue (as AMQP requeues a cancelled consumer's unacked deliveries). */
  private async start(rows: JobRow[], token: string): Promise<void> {
    if (this.cancelled) {
      // Claimed while cancel began: not started, claimable again at once (redelivered=true). One commit, awaited by the cancel.
      if (rows.length > 0) {
        await this.safelyLater(() => {
          for (const row of rows) this.deps.store.setLease(row.id, token, 0);
          return true;
        });
      }
      return;
    }
    for (const row of rows) {
      const done = this.handle(row, token).finally(() => {
        if (this.held.get(row.id)?.token === token) this.held.delete(row.id);
        this.kick(false);
      });
      this.held.set(row.id, { token, done });
    }
  }

  private renewLeases(): void {
    // One renewal queued at a time (one still waiting for the write lock renews from when it runs).
    if (this.renewing || this.held.size === 0 || !this.deps.store.isOpen) return;
    // Every held job's lease in one write of the next group commit (not one fsync each on the event loop).
    this.renewing = this.safelyLater(() => {
      const until = Date.now() + this.deps.visibilityMs;
      for (const [id, h] of this.held) this.deps.store.setLease(id, h.token, until);
      return true;
    }).finally(() => (this.renewing = undefined));
  }

  private async handle(row: JobRow, token: string): Promise<void> {
    const headers = JSON.parse(row.headers) as Record<string, unknown>;
    const parsed = parseBody(row.body);
    let result: HandlerResult;
    if (!parsed.ok) {
      this.deps.logger?.warn('embedded job is not JSON; dead-lettering', { queue: this.queue, reason: parsed.reason });
      result = { action: 'dead', reason: parsed.reason };
    } else {
      const delivery: Delivery = { body: parsed.body, size: row.body.length, headers, redelivered: row.deliveries > 1, attempt: row.attempt };
      result = await runHandler(this.handler, delivery, this.queue, this.deps.logger);
    }
    const store = this.deps.store;
    // Settled with the next claim (or at the next poll tick) and the other jobs finished meanwhile: one commit for all.
    // The job stays held (its lease renewed, a cancel waiting for it) until the settlement is durable.
    const settled = this.settleSoon(() => {
      if (result.action === 'ack') return store.ack(row.id, token);
      if (result.action === 'split') return store.split(row.id, token, result.parts.map((p) => this.part(p, headers, row.attempt)));
      if (result.action === 'retry') {
        const next: Record<string, unknown> = { ...headers, [HEADER_ATTEMPT]: row.attempt + 1 };
        if (result.reason) next[HEADER_REASON] = result.reason;
        return store.retry(row.id, token, result.delayMs, next);
      }
      return store.dead(row.id, token, result.reason, { ...headers, [HEADER_REASON]: result.reason, [HEADER_ORIGINAL_QUEUE]: this.queue });
    });
    this.settling++;
    this.pump(false);
    let kept: boolean | undefined;
    try {
      kept = await settled;
    } finally {
      this.settling--;
    }
    if (kept === false) {
      this.deps.logger?.warn('embedded job lease lost before it was settled; it is delivered again', { queue: this.queue, action: result.action });
    }
  }

  /** A split part as a job of its own: a retry with attempt + 1, or a dead letter with its reason. */
  private part(p: SplitPart, headers: Record<string, unknown>, attempt: number): JobPart {
    const id = (p.body as { messageId?: unknown }).messageId;
    const base = { body: Buffer.from(JSON.stringify(p.body)), messageId: typeof id === 'string' ? id : undefined };
    if (p.result.action === 'dead') {
      return { ...base, attempt, reason: p.result.reason, headers: { ...headers, [HEADER_REASON]: p.result.reason, [HEADER_ORIGINAL_QUEUE]: this.queue } };
    }
    const next: Record<string, unknown> = { ...headers, [HEADER_ATTEMPT]: attempt + 1 };
    if (p.result.reason) next[HEADER_REASON] = p.result.reason;
    return { ...base, attempt: attempt + 1, delayMs: p.result.delayMs, headers: next };
  }

  /** `fn` in the group commit of the next claim or poll tick (at once when cancelling); resolves once it is durable. */
  private settleSoon(fn: () => boolean): Promise<boolean | undefined> {
    return new Promise((resolve) => {
      this.toSettle.push({ write: fn, answer: resolve });
      if (this.cancelled) this.flushSettlements();
    });
  }

  /**
   * Asks the store for every queued settlement as one write of its group commit: one savepoint and one
   * waiter for all of them, not one each. One that throws (a value SQLite refuses) fails alone, its job
   * back as its lease ends; a failure of the transaction itself (I/O, a closed file) fails them all alike.
   */
  private flushSettlements(): void {
    if (this.toSettle.length === 0) return;
    const batch = this.toSettle;
    this.toSettle = [];
    void this.safelyLater(() => this.deps.store.each(batch.map((s) => s.write))).then((outcomes) => {
      for (let i = 0; i < batch.length; i++) {
        const o = outcomes?.[i];
        if (o && !o.ok) this.deps.logger?.error('embedded queue write failed', { queue: this.queue, error: (o.error as Error).message });
        batch[i].answer(o?.ok ? o.value : undefined);
      }
    });
  }

  /** `safely`, in the store's next group commit. */
  private async safelyLater<T>(fn: () => T): Promise<T | undefined> {
    if (!this.deps.store.isOpen) return undefined;
    try {
      return await this.deps.store.later(fn);
    } catch (err) {
      this.deps.logger?.error('embedded queue write failed', { queue: this.queue, error: (err as Error).message });
      return undefined;
    }
  }

  /** Store errors (busy file, closed bus) are logged, never thrown: an unsettled job comes back after its lease. */
  private safely(fn: () => boolean): boolean | undefined {
    if (!this.deps.store.isOpen) return undefined;
    try {
      return fn();
    } catch (err) {
      this.deps.logger?.error('embedded queue write failed', { queue: this.queue, error: (err as Error).message });
      return undefined;
    }
  }
}
