// Picks the bus: RabbitMQ when an AMQP URL is configured, else the embedded SQLite queue.
import type { Logger } from '../log/logger';
import type { Bus } from './bus';
import { createAmqpBus } from './amqp';
import { createEmbeddedBus } from './embedded';

export interface CreateBusOptions {
  amqpUrl?: string;
  /** Namespace of RabbitMQ exchanges and queues. Default 'herald'. */
  prefix?: string;
  /** SQLite file of the embedded queue, used when amqpUrl is not set. */
  embeddedFile: string;
  logger?: Logger;
  /** Embedded queue: wake the consumers of this process's other threads (`herald all`'s sender threads) at each publish. */
  threads?: boolean;
}

export function createBus(opts: CreateBusOptions): Bus {
  if (opts.amqpUrl) return createAmqpBus({ url: opts.amqpUrl, prefix: opts.prefix, logger: opts.logger });
  return createEmbeddedBus({ file: opts.embeddedFile, logger: opts.logger, threads: opts.threads });
}

export { createAmqpBus, type AmqpBusOptions } from './amqp';
export { createEmbeddedBus, type EmbeddedBusOptions } from './embedded';
export { PublishNotConfirmedError } from './errors';
export * from './bus';
