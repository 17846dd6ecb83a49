// Broadcasts on RabbitMQ: a durable fanout exchange per topic; each subscriber consumes an
// exclusive, auto-deleted queue bound to it, re-declared on every new connection.
import type { Channel } from 'amqplib';
import type { BroadcastSubscription, BroadcastTopic, SubscribeOptions } from '../bus';
import type { Logger } from '../../log/logger';
import { PublishNotConfirmedError } from '../errors';
import { backoffMs, type AmqpConnection, type Live } from './connection';
import { names } from './topology';

export class AmqpBroadcast {
  constructor(
    private readonly connection: AmqpConnection,
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly logger?: Logger,
  ) {}

  /** Confirmed by the broker; not persistent and not mandatory (no subscriber is not an error). */
  async publish(topic: BroadcastTopic, body: object): Promise<void> {
    const live = await this.connection.waitLive(this.timeoutMs);
    if (!live) throw new PublishNotConfirmedError(`broker unreachable: ${this.connection.lastErrorMessage}`);
    const content = Buffer.from(JSON.stringify(body));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PublishNotConfirmedError(`no confirm within ${this.timeoutMs} ms`)), this.timeoutMs);
      try {
        live.publishChannel.publish(names.broadcast(this.prefix, topic), '', content, { persistent: false }, (err: unknown) => {
          clearTimeout(timer);
          if (err) reject(new PublishNotConfirmedError(`broker did not confirm: ${String(err)}`));
          else resolve();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(new PublishNotConfirmedError(`publish failed: ${(err as Error).message}`));
      }
    });
  }

  async subscribe(topic: BroadcastTopic, handler: (body: unknown) => void, opts: SubscribeOptions = {}): Promise<BroadcastSubscription> {
    let channel: Channel | undefined;
    let closed = false;
    /** A bind after subscribe() returned follows a time away (or a start while the broker was down): broadcasts were missed. */
    let returned = false;
    /** The connection attached to (or being attached): its 'live' and the first wait below are one event, heard twice. */
    let attachedTo: Live | undefined;
    /** Re-attaching to the same connection after its channel closed alone; consecutive failures back off. */
    let retryTimer: NodeJS.Timeout | undefined;
    let failures = 0;
    /**
     * The channel of `live` is gone (the broker closed it, or the broker cancelled its consumer) while the
     * connection may still be up: attach again to it. A lost connection re-attaches on its next 'live' instead.
     */
    const lost = (live: Live): void => {
      if (closed || attachedTo !== live) return;
      attachedTo = undefined;
      if (retryTimer) return;
      // A pause first: a connection going down closes its channels before it is known as lost.
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        if (closed || this.connection.current !== live) return;
        this.logger?.warn('broadcast channel closed; attaching again', { topic });
        void attach(live);
      }, backoffMs(++failures));
    };
    const attach = async (live: Live): Promise<void> => {
      if (closed || attachedTo === live) return;
      attachedTo = live;
      let ch: Channel | undefined;
      try {
        ch = await live.model.createChannel();
        const mine = ch;
        ch.on('error', () => undefined);
        ch.on('close', () => {
          if (channel === mine) channel = undefined;
          lost(live);
        });
        const { queue } = await ch.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
        await ch.bindQueue(queue, names.broadcast(this.prefix, topic), '');
        await ch.consume(queue, (msg) => {
          // null: the broker cancelled the consumer (its queue deleted); the channel is of no use any more.
          if (!msg) return void mine.close().catch(() => undefined);
          try {
            handler(JSON.parse(msg.content.toString('utf8')));
          } catch (err) {
            this.logger?.warn('broadcast handler failed', { topic, error: (err as Error).message });
          }
        }, { noAck: true });
        failures = 0;
        if (closed) return void (await ch.close().catch(() => undefined));
        channel = ch;
        if (returned) this.resumed(topic, opts);
      } catch (err) {
        this.logger?.warn('broadcast subscribe failed; trying again', { topic, error: (err as Error).message });
        // Its 'close' (now or after this close) attaches again while the connection lives.
        if (ch) void ch.close().catch(() => undefined);
        else lost(live);
      }
    };
    const onLive = (live: Live) => void attach(live);
    this.connection.on('live', onLive);
    const live = await this.connection.waitLive(this.timeoutMs);
    if (live) await attach(live);
    returned = true;
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        clearTimeout(retryTimer);
        this.connection.off('live', onLive);
        await channel?.close().catch(() => undefined);
      },
    };
  }

  private resumed(topic: BroadcastTopic, opts: SubscribeOptions): void {
    try {
      opts.onResumed?.();
    } catch (err) {
      this.logger?.warn('broadcast resume handler failed', { topic, error: (err as Error).message });
    }
  }
}
