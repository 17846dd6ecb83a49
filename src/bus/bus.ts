// The queue contract. RabbitMQ (amqplib) and the embedded SQLite queue implement it; the
// conformance suite in test/contract/bus.contract.ts runs against both.

/**
 * - `events`:   notification events from outside producers (same JSON as the HTTP API).
 * - `dispatch`: `{notificationId}`: fan a notification out to its subscribers; `{campaignId}`: run a campaign (create and queue its messages).
 * - `sms`, `email`: `{messageIds}` (a batch from the dispatcher) or `{messageId}`: hand each message to a provider.
 * - `sheets`: `{event}` (a notification event as a row source): staged for each Google Sheets export target of its program.
 * - `webhooks`: `{events: WebhookEvent[]}` (services/webhooks): record a delivery per matching client endpoint.
 */
export const QUEUES = ['events', 'dispatch', 'sms', 'email', 'webhooks', 'sheets'] as const;
export type QueueName = (typeof QUEUES)[number];

/**
 * Broadcast topics: best-effort signals every subscribed process receives, not work to be done.
 * - `credits`: `{workspaceId}`: a workspace's balance changed (live balance streams re-read it).
 * - `catalog`: `{}`: a program or event type changed (processes drop their cached copies).
 */
export const BROADCAST_TOPICS = ['credits', 'catalog'] as const;
export type BroadcastTopic = (typeof BROADCAST_TOPICS)[number];

export interface BroadcastSubscription {
  /** Stops receiving; safe to call twice. */
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * Called each time the subscription is attached again after being away (its channel or connection lost):
   * broadcasts sent meanwhile were missed, so the subscriber should look again. Never on the first attach.
   */
  onResumed?: () => void;
}

export interface Delivery {
  /** Parsed JSON body. Bodies that are not JSON never reach a handler: they are dead-lettered. */
  body: unknown;
  /** Raw size in bytes. */
  size: number;
  headers: Record<string, unknown>;
  /** True when the broker delivered it before (a consumer died before acking). */
  redelivered: boolean;
  /** 1 on first delivery, incremented by every `retry`. */
  attempt: number;
}

/** The outcome of one delivery. */
export type ItemResult =
  | { action: 'ack' }
  /** Deliver again after `delayMs` (delay queues on RabbitMQ, a visibility time in the embedded queue). */
  | { action: 'retry'; delayMs: number; reason?: string }
  /** Move to the queue's dead-letter queue with the reason in the `x-herald-reason` header. */
  | { action: 'dead'; reason: string };

export type HandlerResult =
  | ItemResult
  /**
   * A delivery that carried several items, settled item by item: each part is published on its
   * own (same queue, headers, attempt + 1) as a retry or a dead letter, and the original is acked
   * only once every part is durable. Items not listed were done (acked with the original).
   */
  | { action: 'split'; parts: SplitPart[] };

export interface SplitPart {
  body: object;
  result: Exclude<ItemResult, { action: 'ack' }>;
}

export type Handler = (d: Delivery) => Promise<HandlerResult>;

export interface ConsumeOptions {
  /** Unacknowledged deliveries in flight for this consumer. */
  prefetch: number;
}

export interface Consumer {
  /** Stops taking deliveries and waits for handlers in flight to finish. */
  cancel(): Promise<void>;
}

export interface PublishOptions {
  /** Stable id for tracing and broker-side de-duplication. */
  messageId?: string;
  headers?: Record<string, unknown>;
  /** Deliver no earlier than this many milliseconds from now. */
  delayMs?: number;
}

export interface DeadLetter {
  queue: QueueName;
  body: string;
  reason: string;
  headers: Record<string, unknown>;
}

export interface Bus {
  readonly kind: 'amqp' | 'embedded';
  /** Declares the topology; safe to call again after a reconnect. */
  connect(): Promise<void>;
  close(): Promise<void>;
  /**
   * Resolves only once the message is durable (publisher confirm on RabbitMQ, a committed
   * write in the embedded queue). Rejects with PublishNotConfirmedError otherwise, within a timeout.
   */
  publish(queue: QueueName, body: object, opts?: PublishOptions): Promise<void>;
  /** Publishes raw bytes (tests and tools: malformed input must be dead-lettered, never crash). */
  publishRaw(queue: QueueName, body: Buffer, opts?: PublishOptions): Promise<void>;
  consume(queue: QueueName, handler: Handler, opts: ConsumeOptions): Promise<Consumer>;
  /** Messages waiting (ready, not in flight) in a queue. */
  depth(queue: QueueName): Promise<number>;
  /** Reads (without removing) up to `limit` dead letters of a queue, oldest first. */
  deadLetters(queue: QueueName, limit: number): Promise<DeadLetter[]>;
  /**
   * Sends `body` to every current subscriber of the topic, once each, in every process on this bus
   * (RabbitMQ: a fanout exchange; embedded: the processes' own subscribers). Not durable: a subscriber
   * that is away (or reconnecting) misses it, so a signal must only say "look again".
   */
  broadcast(topic: BroadcastTopic, body: object): Promise<void>;
  /** Receives the topic's broadcasts from now on, until closed; keeps receiving across reconnects (see `onResumed`). */
  subscribe(topic: BroadcastTopic, handler: (body: unknown) => void, opts?: SubscribeOptions): Promise<BroadcastSubscription>;
}
