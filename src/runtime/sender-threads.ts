// `herald all`'s sender threads: the sms and email workers (providers, routers, limiter, leases)
// run in node:worker_threads Workers of the same process, each with its own store and queue
// connections on the same files, so sending has a core of its own while the main thread serves
// HTTP and fans out. The main thread starts them, forwards their metrics into its /metrics, stops
// them (they drain their sends) and reports a thread that dies.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { HeraldConfig } from '../config';
import { HeraldError } from '../domain/errors';
import type { Logger } from '../log/logger';
import { checkpointedElsewhere } from '../store/sqlite/checkpoint';
import { releaseThreadLocksOf, shareThreadLocks } from '../store/sqlite/thread-lock';

/** A registry's metrics as `getMetricsAsJSON` gives them (what a thread posts). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** What a sender thread is started with (workerData). */
export interface SenderThreadData {
  config: HeraldConfig;
  /** The SQLite files' write locks shared by the threads (store/sqlite/thread-lock.ts). */
  locks: Record<string, SharedArrayBuffer>;
  /** The files the process's checkpoint thread checkpoints, with their fallback auto-checkpoint (store/sqlite/checkpoint.ts). */
  checkpointed: Record<string, number>;
  processName: string;
  /** Its name on its log lines (sender-1...). */
  thread: string;
  silent: boolean;
}

/** Thread -> main. */
export type FromThread = { type: 'ready' } | { type: 'failed'; error: string } | { type: 'metrics'; id: number; metrics: MetricsJson };
/** Main -> thread. */
export type ToThread = { type: 'metrics'; id: number } | { type: 'stop' };

/**
 * Threads `role` runs its senders in (only `herald all` has any): worker.senderThreads, or auto: none on
 * one CPU, 1 on 2 or 3, 2 from 4 on. Measured (30,000-message fan-out, 2 cores, CPU per message):
 * with 1 the sender thread is the longest path (~170 µs, the main thread ~55); 2 split it (~100 each)
 * but cost ~15 % more CPU per message in all (each claims and records in smaller batches), which
 * pays only with cores to spare.
 */
export function senderThreadCount(config: HeraldConfig, role: string, cpus = os.availableParallelism()): number {
  if (role !== 'all') return 0;
  const setting = config.worker.senderThreads ?? 'auto';
  if (setting !== 'auto') return setting;
  return cpus >= 4 ? 2 : cpus >= 2 ? 1 : 0;
}

export interface SenderThreads {
  /** All threads started and running. */
  alive(): boolean;
  /** The threads' metrics (as `getMetricsAsJSON`), one entry per thread, in order; undefined for a thread that did not answer in time. */
  metrics(): Promise<Array<MetricsJson | undefined>>;
  /** Stops every thread: each stops taking messages and finishes its sends in flight. */
  stop(): Promise<void>;
}

const METRICS_TIMEOUT_MS = 2_000;

/** A sender thread that could not start or ended on its own. */
export class SenderThreadError extends HeraldError {
  constructor(message: string) {
    super('SENDER_THREAD_FAILED', message);
  }
}

/**
 * A ceiling on a sender thread's old generation, far above what it holds (~15 MB of modules and
 * ~15-30 MB of sends, deliveries and records under way; a thread that reached it would be broken, and
 * would end as a thread that died). Below V8's own limit on this machine (4 GB), it also makes V8 grow
 * the thread's heap in smaller steps after each full collection (up to ~1.6x what is live instead of 4x).
 */
export const SENDER_HEAP_CEILING_MB = 1024;
// Its young generation is left at V8's default (48 MB): sized to 96 or 192 MB (`maxYoungGenerationSizeMb`) it
// collected 40 % fewer times but each scavenge copied as much (the messages in flight), for no CPU a message and
// +25 / +70 MB peak RSS (30,000 fan-out, alternated; bench/benchmarks-notes.md, "Embedded").

/**
 * The thread's entry: the compiled JavaScript beside this file, or (running from the TypeScript source:
 * npm start, the tests) the .ts file through tsx, as bin/herald.js loads the CLI.
 */
function spawn(data: SenderThreadData, name: string, index: number): Worker {
  // Unset, a thread inherits the flags that apply to it and leaves out the process-wide ones; given, a
  // process-wide one (--max-old-space-size, --stack-size...) makes the Worker throw. Given only to give a
  // CPU profile a name of its own (--cpu-prof-name would have every thread write the same file).
  const named = process.execArgv.some((a) => a.startsWith('--cpu-prof-name='));
  const execArgv = named ? process.execArgv.map((a) => (a.startsWith('--cpu-prof-name=') ? a.replace(/(\.cpuprofile)?$/, `-sender-${index}$1`) : a)) : undefined;
  const opts = { workerData: data, name, execArgv, stdout: false, stderr: false, resourceLimits: { maxOldGenerationSizeMb: SENDER_HEAP_CEILING_MB } };
  if (path.extname(__filename) === '.js') return new Worker(path.join(__dirname, 'sender-thread.js'), opts);
  const entry = path.join(__dirname, 'sender-thread.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { ...opts, eval: true });
}

/**
 * Starts `count` sender threads and resolves once each has its consumers running. `onDeath` is
 * called (once) when a thread ends other than by stop(): its sends stop, the rest of the process would not notice.
 * On a failure (a Worker that could not be made, a thread that could not start) the threads already
 * started are stopped before it rejects.
 */
export async function startSenderThreads(opts: {
  count: number;
  config: HeraldConfig;
  locks: Record<string, SharedArrayBuffer>;
  processName: string;
  silent: boolean;
  logger: Logger;
  onDeath: (error: Error) => void;
  /** Tests: makes the Worker instead of the thread's entry. */
  spawn?: typeof spawn;
}): Promise<SenderThreads> {
  const { logger } = opts;
  const make = opts.spawn ?? spawn;
  let stopping = false;
  let running = false;
  let dead = false;
  let nextId = 0;
  const waiting = new Map<number, (m: MetricsJson | undefined) => void>();
  const threads: Array<{ worker: Worker; exited: Promise<number> }> = [];
  const died = (thread: string, e: Error): void => {
    if (stopping || dead || !running) return;
    dead = true;
    logger.error('sender thread ended unexpectedly; this process no longer sends', { thread, error: e.message });
    opts.onDeath(e);
  };
  const stop = async (): Promise<void> => {
    stopping = true;
    for (const t of threads) t.worker.postMessage({ type: 'stop' } satisfies ToThread);
    await Promise.all(threads.map((t) => t.exited));
  };
  const started: Array<Promise<void>> = [];
  try {
    for (let i = 1; i <= opts.count; i++) {
      const thread = `sender-${i}`;
      const name = `${opts.processName}/${thread}`;
      const worker = make({ config: opts.config, locks: opts.locks, checkpointed: checkpointedElsewhere(), processName: opts.processName, thread, silent: opts.silent }, name, i);
      let lastError: Error | undefined;
      // threadId reads -1 once the thread has ended.
      const id = worker.threadId;
      const exited = new Promise<number>((resolve) =>
        worker.once('exit', (code) => {
          releaseThreadLocksOf(id);
          resolve(code);
        }),
      );
      worker.on('error', (e) => {
        lastError = e;
        logger.error('sender thread failed', { thread, error: e.message, stack: e.stack });
      });
      started.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (m: FromThread) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'failed') reject(new SenderThreadError(`${name}: ${m.error}`));
            else if (m.type === 'metrics') waiting.get(m.id)?.(m.metrics);
          });
          void exited.then((code) => {
            const e = lastError ?? new SenderThreadError(`${name} exited with code ${code}`);
            reject(e);
            died(thread, e);
          });
        }),
      );
      threads.push({ worker, exited });
    }
    await Promise.all(started);
  } catch (e) {
    // The threads started so far end too (their start-ups, rejected once they exit, are nobody's failure).
    void Promise.allSettled(started);
    await stop();
    throw e;
  }
  running = true;
  return {
    alive: () => !dead,
    async metrics() {
      const answers = threads.map(
        (t) =>
          new Promise<MetricsJson | undefined>((resolve) => {
            const id = ++nextId;
            const timer = setTimeout(() => done(undefined), METRICS_TIMEOUT_MS);
            const done = (m: MetricsJson | undefined) => {
              clearTimeout(timer);
              waiting.delete(id);
              resolve(m);
            };
            waiting.set(id, done);
            t.worker.postMessage({ type: 'metrics', id } satisfies ToThread);
          }),
      );
      return Promise.all(answers);
    },
    stop,
  };
}

/**
 * The process's metrics: this thread's registry plus its sender threads', summed per series (a circuit
 * gauge takes the worst). Metrics are still registered on `own`; this is what /metrics serves.
 */
export class ProcessRegistry extends Registry {
  constructor(
    private readonly own: Registry,
    private readonly threads: () => Promise<Array<MetricsJson | undefined>>,
  ) {
    super();
  }

  /** Each thread's last answer: one that does not answer a scrape (its event loop busy) counts what it said last, never 0 (a counter reset to Prometheus). */
  private readonly last: MetricsJson[] = [];

  /** One registry with everything, for readers of single metrics (the dashboard's provider latency). */
  async snapshot(): Promise<Registry> {
    const [mine, answers] = await Promise.all([this.own.getMetricsAsJSON(), this.threads()]);
    const theirs = answers.map((m, i) => (m ? (this.last[i] = m) : this.last[i])).filter((m): m is MetricsJson => m !== undefined);
    return AggregatorRegistry.aggregate([mine, ...theirs]);
  }

  override async metrics(): Promise<string> {
    return (await this.snapshot()).metrics();
  }

  override async getMetricsAsJSON(): Promise<MetricsJson> {
    return (await this.snapshot()).getMetricsAsJSON();
  }
}

/**
 * The composition root's handle on its sender threads: planned before the store and queue are opened
 * (their files' shared write locks), started once this thread's setup is under way, awaited before
 * it serves. With no threads every member is a no-op.
 */
export class SenderThreadPool {
  readonly count: number;
  private readonly locks: Record<string, SharedArrayBuffer> | undefined;
  private threads: SenderThreads | undefined;
  private started: Promise<Error | undefined> | undefined;

  constructor(config: HeraldConfig, role: string, files: string[]) {
    this.count = senderThreadCount(config, role);
    this.locks = this.count ? shareThreadLocks(files) : undefined;
  }

  /** Starts the threads in the background (their start-up overlaps this thread's). */
  start(opts: Omit<Parameters<typeof startSenderThreads>[0], 'count' | 'locks'>): void {
    if (!this.count) return;
    this.started = startSenderThreads({ ...opts, count: this.count, locks: this.locks! }).then(
      (t) => void (this.threads = t),
      (e: Error) => e,
    );
  }

  /** Resolves once every thread runs; throws why one could not start. */
  async ready(): Promise<void> {
    const failure = await this.started;
    if (failure) throw failure;
  }

  alive(): boolean {
    return this.threads?.alive() ?? true;
  }

  /** Stops the threads; during start-up, once it settles (a thread reads `stop` once it has started). */
  async stop(): Promise<void> {
    await this.started;
    await this.threads?.stop();
  }

  /** What /metrics serves: `own` plus the threads' metrics. */
  registry(own: Registry): Registry {
    const threads = this.threads;
    return threads ? new ProcessRegistry(own, () => threads.metrics()) : own;
  }
}
