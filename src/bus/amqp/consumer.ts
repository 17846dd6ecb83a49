// One consumer of one work queue, on a channel of its own (so prefetch is per consumer).
// Re-attaches after every reconnect; acks only on the channel a delivery came from.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Consumer, Delivery, Handler, HandlerResult, ItemResult, QueueName } from '../bus';
import type { Logger } from '../../log/logger';
import { backoffMs, type AmqpConnection } from './connection';
import type { AmqpPublisher } from './publisher';
import { HEADER_ATTEMPT, HEADER_ORIGINAL_QUEUE, HEADER_REASON, attemptOf, parseBody, runHandler } from './run-handler';
import { names, rungFor } from './topology';

/** Pause before requeueing a delivery whose retry/dead publish failed (avoids a hot loop). */
const SETTLE_FAILURE_PAUSE_MS = 1_000;

/** Headers RabbitMQ adds when dead-lettering through a delay queue; our attempt header replaces them. */
const BROKER_DEATH_HEADERS = ['x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason', 'x-last-death-exchange', 'x-last-death-queue', 'x-last-death-reason'];

export interface ConsumerDeps {
  connection: AmqpConnection;
  publisher: AmqpPublisher;
  prefix: string;
  drainTimeoutMs: number;
  logger?: Logger;
}

export class AmqpConsumer implements Consumer {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private attaching: Promise<void> | undefined;
  private cancelled = false;
  private failedAttaches = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly closedChannels = new WeakSet<Channel>();
  private readonly onLive = () => void this.attach().catch(() => undefined);

  constructor(
    private readonly deps: ConsumerDeps,
    private readonly queue: QueueName,
    private readonly handler: Handler,
    private readonly prefetch: number,
    private readonly onCancelled: (c: AmqpConsumer) => void,
  ) {
    deps.connection.on('live', this.onLive);
  }

  /** Opens a channel and starts consuming, unless already attached or cancelled. */
  attach(): Promise<void> {
    if (!this.attaching) {
      this.attaching = this.doAttach().finally(() => {
        this.attaching = undefined;
      });
    }
    return this.attaching;
  }

  private async doAttach(): Promise<void> {
    const live = this.deps.connection.current;
    if (this.cancelled || this.channel || !live) return;
    const ch = await live.model.createChannel();
    ch.on('error', (err: Error) => this.deps.logger?.warn('amqp consumer channel error', { queue: this.queue, error: err.message }));
    ch.on('close', () => {
      this.closedChannels.add(ch);
      if (this.channel !== ch) return;
      this.channel = undefined;
      this.consumerTag = undefined;
      // A channel-only failure (the connection still up) needs a new channel; a lost connection re-attaches on 'live'.
      if (!this.cancelled) setTimeout(() => void this.attach().catch(() => undefined), backoffMs(++this.failedAttaches));
    });
    await ch.prefetch(this.prefetch);
    const queueName = names.work(this.deps.prefix, this.queue);
    this.channel = ch;
    const ok = await ch.consume(queueName, (msg) => {
      if (msg) return this.track(this.handle(ch, msg));
      // The broker cancelled us (queue deleted): start over on a new channel.
      this.deps.logger?.warn('amqp consumer cancelled by the broker', { queue: this.queue });
      void ch.close().catch(() => undefined);
    });
    this.consumerTag = ok.consumerTag;
    this.failedAttaches = 0;
    // Cancelled meanwhile: cancel() awaits this attach, then cancels the tag and drains before closing the channel
    // (closing it here would hand back deliveries whose handlers are still running: handled twice).
  }

  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    this.deps.connection.off('live', this.onLive);
    await this.attaching?.catch(() => undefined);
    const ch = this.channel;
    if (ch && this.consumerTag) await ch.cancel(this.consumerTag).catch(() => undefined);
    await this.drain();
    await this.stopChannel();
    this.onCancelled(this);
  }

  private async stopChannel(): Promise<void> {
    const ch = this.channel;
    this.channel = undefined;
    this.consumerTag = undefined;
    // Closing the channel hands any unacked delivery back to the broker (redelivered=true).
    if (ch && !this.closedChannels.has(ch)) await ch.close().catch(() => undefined);
  }

  /** Waits for handlers in flight, at most drainTimeoutMs (after which their deliveries are requeued). */
  private async drain(): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.deps.logger?.warn('amqp consumer: handlers still running at cancel; their deliveries will be redelivered', {
          queue: this.queue,
          inFlight: this.inFlight.size,
        });
        resolve();
      }, this.deps.drainTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const headers: Record<string, unknown> = { ...(msg.properties.headers ?? {}) };
    const parsed = parseBody(msg.content);
    let result: HandlerResult;
    if (!parsed.ok) {
      this.deps.logger?.warn('amqp delivery is oversized or not JSON; dead-lettering', { queue: this.queue, reason: parsed.reason });
      result = { action: 'dead', reason: parsed.reason };
    } else {
      const delivery: Delivery = {
        body: parsed.body,
        size: msg.content.length,
        headers,
        redelivered: msg.fields.redelivered,
        attempt: attemptOf(headers),
      };
      result = await runHandler(this.handler, delivery, this.queue, this.deps.logger);
    }
    try {
      await this.settle(ch, msg, headers, result);
    } catch (err) {
      this.deps.logger?.error('amqp could not settle a delivery; it will be redelivered', {
        queue: this.queue,
        action: result.action,
        error: (err as Error).message,
      });
      await new Promise((r) => setTimeout(r, SETTLE_FAILURE_PAUSE_MS));
      this.onChannel(ch, () => ch.nack(msg, false, true));
    }
  }

  /** retry and dead publish a copy (confirmed) before the original is acked: at-least-once, never lost. */
  private async settle(ch: Channel, msg: ConsumeMessage, headers: Record<string, unknown>, result: HandlerResult): Promise<void> {
    // The channel died while the handler ran: the broker redelivers the original, so no copy (no duplicate).
    if (this.closedChannels.has(ch)) return;
    const messageId = typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined;
    if (result.action === 'split') {
      await Promise.all(
        result.parts.map((p) => {
          const id = (p.body as { messageId?: unknown }).messageId;
          return this.publishOutcome(Buffer.from(JSON.stringify(p.body)), headers, p.result, typeof id === 'string' ? id : messageId);
        }),
      );
    } else if (result.action !== 'ack') {
      await this.publishOutcome(msg.content, headers, result, messageId);
    }
    this.onChannel(ch, () => ch.ack(msg));
  }

  /** Publishes (confirmed) the copy that carries a retry to its delay queue or a dead letter to the DLQ. */
  private async publishOutcome(content: Buffer, headers: Record<string, unknown>, result: Exclude<ItemResult, { action: 'ack' }>, messageId?: string): Promise<void> {
    const { prefix } = this.deps;
    const copy = { ...headers };
    for (const h of BROKER_DEATH_HEADERS) delete copy[h];
    if (result.action === 'retry') {
      copy[HEADER_ATTEMPT] = attemptOf(headers) + 1;
      if (result.reason) copy[HEADER_REASON] = result.reason;
      const routingKey = names.retry(prefix, this.queue, rungFor(result.delayMs));
      await this.deps.publisher.publish({ exchange: '', routingKey, content, messageId, headers: copy });
    } else {
      copy[HEADER_REASON] = result.reason;
      copy[HEADER_ORIGINAL_QUEUE] = this.queue;
      await this.deps.publisher.publish({ exchange: '', routingKey: names.dead(prefix, this.queue), content, messageId, headers: copy });
    }
  }

  /** Acks/nacks only on the live channel the delivery came from; otherwise the broker redelivers it. */
  private onChannel(ch: Channel, op: () => void): void {
    if (this.closedChannels.has(ch)) return;
    try {
      op();
    } catch {
      // The channel closed in between: the broker requeues the delivery.
    }
  }
}
