// Confirmed publishing: a publish resolves only on the broker's ack; a nack, a return of the
// mandatory message, a closed channel, a closed bus or a timeout reject with PublishNotConfirmedError.
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel, Message } from 'amqplib';
import { PublishNotConfirmedError } from '../errors';
import type { AmqpConnection } from './connection';

export interface RawPublish {
  /** '' (default exchange) with a queue name as routing key, or an exchange. */
  exchange: string;
  routingKey: string;
  content: Buffer;
  messageId?: string;
  headers?: Record<string, unknown>;
}

/** Message ids the broker returned as unroutable, per channel, until their confirm arrives. */
const returnedIds = new WeakMap<ConfirmChannel, Set<string>>();

function trackReturns(ch: ConfirmChannel): Set<string> {
  let set = returnedIds.get(ch);
  if (!set) {
    const ids = new Set<string>();
    // RabbitMQ sends basic.return before the basic.ack of the same message.
    ch.on('return', (msg: Message) => {
      if (typeof msg.properties.messageId === 'string') ids.add(msg.properties.messageId);
    });
    returnedIds.set(ch, ids);
    set = ids;
  }
  return set;
}

export class AmqpPublisher {
  constructor(
    private readonly connection: AmqpConnection,
    private readonly confirmTimeoutMs: number,
  ) {}

  async publish(p: RawPublish): Promise<void> {
    if (this.connection.isClosed) throw new PublishNotConfirmedError('the bus is closed');
    const deadline = Date.now() + this.confirmTimeoutMs;
    const live = await this.connection.waitLive(this.confirmTimeoutMs);
    if (!live) {
      throw new PublishNotConfirmedError(
        this.connection.isClosed ? 'the bus is closed' : `broker unreachable: ${this.connection.lastErrorMessage}`,
      );
    }
    const ch = live.publishChannel;
    const returned = trackReturns(ch);
    const messageId = p.messageId ?? randomUUID();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(new PublishNotConfirmedError(`no confirm within ${this.confirmTimeoutMs} ms`)),
        Math.max(1, deadline - Date.now()),
      );
      try {
        ch.publish(
          p.exchange,
          p.routingKey,
          p.content,
          { persistent: true, mandatory: true, messageId, headers: p.headers ?? {}, timestamp: Math.floor(Date.now() / 1000) },
          (err: unknown) => {
            if (returned.delete(messageId)) {
              settle(new PublishNotConfirmedError(`message returned as unroutable: ${p.exchange}/${p.routingKey}`));
            } else if (err) {
              settle(new PublishNotConfirmedError(`broker did not confirm: ${err instanceof Error ? err.message : String(err)}`));
            } else {
              settle();
            }
          },
        );
      } catch (err) {
        settle(new PublishNotConfirmedError(`publish failed: ${(err as Error).message}`));
      }
    });
  }
}
