// Names and declarations of Herald's RabbitMQ topology. Everything is namespaced by a prefix
// so several installations (and tests) share one broker. See docs/amqp.md.
import type { Channel } from 'amqplib';
import { BROADCAST_TOPICS, QUEUES, type BroadcastTopic, type QueueName } from '../bus';

/** Retry / delay rungs in ms: a requested delay is rounded up to one, so the queue count is bounded. */
export const DELAY_LADDER_MS = [1_000, 5_000, 30_000, 120_000, 600_000, 3_600_000] as const;

/** Routing-key pattern binding the inbound exchange to the events queue. */
export const EVENTS_BINDING = 'notification.#';

export function rungFor(delayMs: number): number {
  for (const rung of DELAY_LADDER_MS) if (delayMs <= rung) return rung;
  return DELAY_LADDER_MS[DELAY_LADDER_MS.length - 1];
}

export const names = {
  work: (prefix: string, q: QueueName) => `${prefix}.${q}`,
  dead: (prefix: string, q: QueueName) => `${prefix}.${q}.dead`,
  retry: (prefix: string, q: QueueName, rungMs: number) => `${prefix}.${q}.retry.${rungMs}`,
  eventsExchange: (prefix: string) => `${prefix}.events`,
  broadcast: (prefix: string, topic: BroadcastTopic) => `${prefix}.broadcast.${topic}`,
};

/** Every queue and exchange a prefix owns (for tools and test clean-up). */
export function allNames(prefix: string): { queues: string[]; exchanges: string[] } {
  const queues: string[] = [];
  for (const q of QUEUES) {
    queues.push(names.work(prefix, q), names.dead(prefix, q));
    for (const rung of DELAY_LADDER_MS) queues.push(names.retry(prefix, q, rung));
  }
  return { queues, exchanges: [names.eventsExchange(prefix), ...BROADCAST_TOPICS.map((t) => names.broadcast(prefix, t))] };
}

/** Idempotent: asserts every queue, exchange and binding. Run after every (re)connect. */
export async function declareTopology(ch: Channel, prefix: string): Promise<void> {
  for (const q of QUEUES) {
    const work = names.work(prefix, q);
    await ch.assertQueue(work, { durable: true });
    await ch.assertQueue(names.dead(prefix, q), { durable: true });
    for (const rung of DELAY_LADDER_MS) {
      await ch.assertQueue(names.retry(prefix, q, rung), {
        durable: true,
        arguments: { 'x-message-ttl': rung, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': work },
      });
    }
  }
  const exchange = names.eventsExchange(prefix);
  await ch.assertExchange(exchange, 'topic', { durable: true });
  await ch.bindQueue(names.work(prefix, 'events'), exchange, EVENTS_BINDING);
  // Broadcasts: each subscriber binds a queue of its own (exclusive, auto-deleted) to the fanout exchange.
  for (const topic of BROADCAST_TOPICS) await ch.assertExchange(names.broadcast(prefix, topic), 'fanout', { durable: true });
}
