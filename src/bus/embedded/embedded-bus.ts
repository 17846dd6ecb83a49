// The Bus on one SQLite file (better-sqlite3): for a laptop or a single process without
// RabbitMQ. A publish is one committed INSERT; consumers poll and lease jobs.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { BroadcastSubscription, BroadcastTopic, Bus, Consumer, ConsumeOptions, DeadLetter, Handler, PublishOptions, QueueName } from '../bus';
import { BusUnavailableError } from '../../domain/errors';
import type { Logger } from '../../log/logger';
import { PublishNotConfirmedError } from '../errors';
import { ThreadChannel } from '../thread-channel';
import { attemptOf } from '../amqp/run-handler';
import { EmbeddedConsumer } from './consumer';
import { JobStore } from './job-store';

export interface EmbeddedBusOptions {
  file: string;
  /** How often consumers look for ready jobs (delayed ones, other processes' publishes). Default 50. */
  pollMs?: number;
  /** Lease of a claimed job; a job whose process died is delivered again after it. Default 60000. */
  visibilityMs?: number;
  /** Longest cancel()/close() wait for handlers in flight; unfinished jobs are released. Default 30000. */
  drainTimeoutMs?: number;
  logger?: Logger;
  /** Share wake-ups and broadcasts with the other threads of this process on the same file. */
  threads?: boolean;
}

/**
 * One emitter per file, shared by every Bus of this process's thread on it: a publish wakes all their
 * consumers. With `threads`, the file's thread channel carries the same wake-ups and broadcasts to
 * the other threads of the process (`herald all`'s sender threads), which would otherwise see a
 * publish only at their next poll; the buses with `threads` are its users.
 */
interface Waker {
  emitter: EventEmitter;
  channel: ThreadChannel<ThreadNote>;
  /** Queues published to in this turn, posted to the other threads once at its end. */
  published: Set<string>;
}

type ThreadNote = { published: string[] } | { topic: string; text: string };

const wakers = new Map<string, Waker>();

function wakerFor(file: string): Waker {
  const key = path.resolve(file);
  let w = wakers.get(key);
  if (!w) {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    const channel = new ThreadChannel<ThreadNote>(`herald-embedded-bus:${key}`, (note) => {
      if ('published' in note) for (const q of note.published) emitter.emit('published', q);
      else emitter.emit(`broadcast:${note.topic}`, note.text);
    });
    w = { emitter, channel, published: new Set() };
    wakers.set(key, w);
  }
  return w;
}

function notePublished(w: Waker, queue: string): void {
  w.emitter.emit('published', queue);
  if (!w.channel.joined) return;
  if (w.published.size === 0) {
    setImmediate(() => {
      const queues = [...w.published];
      w.published.clear();
      w.channel.post({ published: queues });
    });
  }
  w.published.add(queue);
}

class EmbeddedBus implements Bus {
  readonly kind = 'embedded' as const;
  private store: JobStore | undefined;
  private readonly consumers = new Set<EmbeddedConsumer>();
  private readonly subscriptions = new Set<BroadcastSubscription>();
  private readonly waker: Waker;
  private readonly wake: EventEmitter;
  /** Leaves the file's thread channel (with `threads`). */
  private readonly leaveThreads: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: EmbeddedBusOptions) {
    this.waker = wakerFor(opts.file);
    this.wake = this.waker.emitter;
    this.leaveThreads = opts.threads ? this.waker.channel.join() : undefined;
  }

  async connect(): Promise<void> {
    this.open();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.cancel()));
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      this.store?.close();
      this.leaveThreads?.();
    })();
    return this.closing;
  }

  async publish(queue: QueueName, body: object, opts?: PublishOptions): Promise<void> {
    return this.publishRaw(queue, Buffer.from(JSON.stringify(body)), opts);
  }

  async publishRaw(queue: QueueName, body: Buffer, opts: PublishOptions = {}): Promise<void> {
    if (this.closing) throw new PublishNotConfirmedError('the bus is closed');
    const headers = { ...(opts.headers ?? {}) };
    try {
      // Publishes of the same turn share one commit; resolved only once it is durable.
      const store = this.open();
      await store.later(() => store.insert(queue, body, headers, opts.messageId, attemptOf(headers), opts.delayMs ?? 0));
    } catch (err) {
      throw new PublishNotConfirmedError(`embedded queue write failed: ${(err as Error).message}`);
    }
    notePublished(this.waker, queue);
  }

  async consume(queue: QueueName, handler: Handler, opts: ConsumeOptions): Promise<Consumer> {
    const store = this.open();
    const consumer = new EmbeddedConsumer(
      {
        store,
        wake: this.wake,
        pollMs: this.opts.pollMs ?? 50,
        visibilityMs: this.opts.visibilityMs ?? 60_000,
        drainTimeoutMs: this.opts.drainTimeoutMs ?? 30_000,
        logger: this.opts.logger,
      },
      queue,
      handler,
      Math.max(1, Math.floor(opts.prefetch)),
      (c) => this.consumers.delete(c),
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /** In-process: every bus of this process on the same file hears it, other threads too with `threads` (other processes poll what they need). */
  async broadcast(topic: BroadcastTopic, body: object): Promise<void> {
    if (this.closing) throw new PublishNotConfirmedError('the bus is closed');
    // Through JSON, as on RabbitMQ: a subscriber never shares the publisher's object.
    const text = JSON.stringify(body);
    this.wake.emit(`broadcast:${topic}`, text);
    this.waker.channel.post({ topic, text });
  }

  /** In-process listeners are never away, so `onResumed` is never called here. */
  async subscribe(topic: BroadcastTopic, handler: (body: unknown) => void): Promise<BroadcastSubscription> {
    if (this.closing) throw new BusUnavailableError('the bus is closed');
    const listener = (text: string) => {
      try {
        handler(JSON.parse(text));
      } catch (err) {
        this.opts.logger?.warn('broadcast handler failed', { topic, error: (err as Error).message });
      }
    };
    this.wake.on(`broadcast:${topic}`, listener);
    const sub: BroadcastSubscription = {
      close: async () => {
        this.wake.off(`broadcast:${topic}`, listener);
        this.subscriptions.delete(sub);
      },
    };
    this.subscriptions.add(sub);
    return sub;
  }

  async depth(queue: QueueName): Promise<number> {
    return this.open().depth(queue);
  }

  async deadLetters(queue: QueueName, limit: number): Promise<DeadLetter[]> {
    return this.open()
      .deadLetters(queue, limit)
      .map((r) => ({ queue: r.queue, body: r.body.toString('utf8'), reason: r.reason, headers: JSON.parse(r.headers) as Record<string, unknown> }));
  }

  /** Opens the file on first use (creating its folder and tables). */
  private open(): JobStore {
    if (this.closing) throw new BusUnavailableError('the bus is closed');
    if (!this.store) {
      try {
        fs.mkdirSync(path.dirname(path.resolve(this.opts.file)), { recursive: true });
        this.store = new JobStore(this.opts.file);
      } catch (err) {
        throw new BusUnavailableError(`cannot open the embedded queue ${this.opts.file}: ${(err as Error).message}`);
      }
    }
    return this.store;
  }
}

export function createEmbeddedBus(opts: EmbeddedBusOptions): Bus {
  return new EmbeddedBus(opts);
}
