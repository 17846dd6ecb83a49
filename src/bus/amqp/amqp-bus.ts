// The Bus on RabbitMQ (amqplib): durable queues, confirmed persistent publishes, delay queues
// for retries, a dead-letter queue per queue, automatic reconnection. Topology: docs/amqp.md.
import type { BroadcastSubscription, BroadcastTopic, Bus, SubscribeOptions, Consumer, ConsumeOptions, DeadLetter, Handler, PublishOptions, QueueName } from '../bus';
import { BusUnavailableError } from '../../domain/errors';
import { PublishNotConfirmedError } from '../errors';
import type { Logger } from '../../log/logger';
import { AmqpBroadcast } from './broadcast';
import { AmqpConnection } from './connection';
import { AmqpConsumer } from './consumer';
import { AmqpPublisher } from './publisher';
import { HEADER_REASON } from './run-handler';
import { names, rungFor } from './topology';

export interface AmqpBusOptions {
  url: string;
  /** Namespaces every exchange and queue. Default 'herald'. */
  prefix?: string;
  /** Longest a publish waits for the connection plus the broker's confirm. Default 5000. */
  confirmTimeoutMs?: number;
  /** Longest connect() waits for the first connection before rejecting. Default 30000. */
  connectTimeoutMs?: number;
  /** Longest cancel()/close() wait for handlers in flight; unfinished deliveries are redelivered. Default 30000. */
  drainTimeoutMs?: number;
  logger?: Logger;
}

class AmqpBus implements Bus {
  readonly kind = 'amqp' as const;
  private readonly prefix: string;
  private readonly connection: AmqpConnection;
  private readonly publisher: AmqpPublisher;
  private readonly broadcasts: AmqpBroadcast;
  private readonly subscriptions = new Set<BroadcastSubscription>();
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly connectTimeoutMs: number;
  private readonly drainTimeoutMs: number;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: AmqpBusOptions) {
    this.prefix = opts.prefix ?? 'herald';
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 30_000;
    this.connection = new AmqpConnection(opts.url, this.prefix, opts.logger);
    this.publisher = new AmqpPublisher(this.connection, opts.confirmTimeoutMs ?? 5_000);
    this.broadcasts = new AmqpBroadcast(this.connection, this.prefix, opts.confirmTimeoutMs ?? 5_000, opts.logger);
  }

  async connect(): Promise<void> {
    this.assertOpen();
    const live = await this.connection.waitLive(this.connectTimeoutMs);
    if (!live) throw new BusUnavailableError(`RabbitMQ unreachable: ${this.connection.lastErrorMessage}`);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.cancel()));
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      await this.connection.close();
    })();
    return this.closing;
  }

  publish(queue: QueueName, body: object, opts?: PublishOptions): Promise<void> {
    return this.publishRaw(queue, Buffer.from(JSON.stringify(body)), opts);
  }

  async publishRaw(queue: QueueName, body: Buffer, opts: PublishOptions = {}): Promise<void> {
    const routingKey =
      opts.delayMs && opts.delayMs > 0 ? names.retry(this.prefix, queue, rungFor(opts.delayMs)) : names.work(this.prefix, queue);
    await this.publisher.publish({ exchange: '', routingKey, content: body, messageId: opts.messageId, headers: opts.headers });
  }

  async consume(queue: QueueName, handler: Handler, opts: ConsumeOptions): Promise<Consumer> {
    this.assertOpen();
    await this.connect();
    const consumer = new AmqpConsumer(
      {
        connection: this.connection,
        publisher: this.publisher,
        prefix: this.prefix,
        drainTimeoutMs: this.drainTimeoutMs,
        logger: this.opts.logger,
      },
      queue,
      handler,
      Math.max(1, Math.floor(opts.prefetch)),
      (c) => this.consumers.delete(c),
    );
    this.consumers.add(consumer);
    try {
      await consumer.attach();
    } catch (err) {
      await consumer.cancel();
      throw new BusUnavailableError(`cannot consume ${queue}: ${(err as Error).message}`);
    }
    return consumer;
  }

  async broadcast(topic: BroadcastTopic, body: object): Promise<void> {
    if (this.closing) throw new PublishNotConfirmedError('the bus is closed');
    await this.broadcasts.publish(topic, body);
  }

  async subscribe(topic: BroadcastTopic, handler: (body: unknown) => void, opts: SubscribeOptions = {}): Promise<BroadcastSubscription> {
    this.assertOpen();
    const sub = await this.broadcasts.subscribe(topic, handler, opts);
    const tracked: BroadcastSubscription = {
      close: async () => {
        this.subscriptions.delete(tracked);
        await sub.close();
      },
    };
    this.subscriptions.add(tracked);
    return tracked;
  }

  async depth(queue: QueueName): Promise<number> {
    return this.withChannel(async (ch) => (await ch.checkQueue(names.work(this.prefix, queue))).messageCount);
  }

  async deadLetters(queue: QueueName, limit: number): Promise<DeadLetter[]> {
    return this.withChannel(async (ch) => {
      const out: DeadLetter[] = [];
      // Read by basic.get, then nack(requeue) them all at once: they stay, in their order.
      for (let i = 0; i < limit; i++) {
        const msg = await ch.get(names.dead(this.prefix, queue), { noAck: false });
        if (!msg) break;
        const headers = { ...(msg.properties.headers ?? {}) } as Record<string, unknown>;
        out.push({ queue, body: msg.content.toString('utf8'), reason: String(headers[HEADER_REASON] ?? ''), headers });
      }
      if (out.length) ch.nackAll(true);
      return out;
    });
  }

  /** A short-lived channel for inspection (a failing check must not close the publish channel). */
  private async withChannel<T>(fn: (ch: import('amqplib').Channel) => Promise<T>): Promise<T> {
    this.assertOpen();
    const live = await this.connection.waitLive(this.connectTimeoutMs);
    if (!live) throw new BusUnavailableError(`RabbitMQ unreachable: ${this.connection.lastErrorMessage}`);
    const ch = await live.model.createChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } catch (err) {
      throw new BusUnavailableError(`RabbitMQ: ${(err as Error).message}`);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  private assertOpen(): void {
    if (this.closing || this.connection.isClosed) throw new BusUnavailableError('the bus is closed');
  }
}

export function createAmqpBus(opts: AmqpBusOptions): Bus {
  return new AmqpBus(opts);
}
