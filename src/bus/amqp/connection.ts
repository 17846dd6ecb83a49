// One RabbitMQ connection kept alive: connects with exponential backoff and jitter, declares
// the topology, opens the confirm channel for publishing, and announces every new connection
// so consumers can re-attach. Losing the connection or the publish channel starts it over.
import { EventEmitter } from 'node:events';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { exponentialJitter } from '../../domain/retry';
import type { Logger } from '../../log/logger';
import { declareTopology } from './topology';
import { coalesceWrites } from './coalesce-writes';

const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5_000;

export interface Live {
  model: ChannelModel;
  publishChannel: ConfirmChannel;
}

/** Delay before reconnect attempt `n` (1-based): the providers' backoff (exponential, capped, full jitter). */
export const backoffMs = exponentialJitter({ baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_CAP_MS });

export class AmqpConnection extends EventEmitter {
  private live: Live | undefined;
  private running = false;
  private closed = false;
  private lastError: Error | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly prefix: string,
    private readonly logger?: Logger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get current(): Live | undefined {
    return this.live;
  }

  get lastErrorMessage(): string {
    return this.lastError?.message ?? 'not connected yet';
  }

  /** Starts connecting in the background unless already connected or connecting. */
  start(): void {
    if (this.running || this.live || this.closed) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  /** Resolves with the live connection, starting it if needed; undefined after `timeoutMs`. */
  async waitLive(timeoutMs: number): Promise<Live | undefined> {
    if (this.live) return this.live;
    if (this.closed) return undefined;
    this.start();
    return new Promise((resolve) => {
      const onLive = (live: Live) => finish(live);
      const onClosed = () => finish(undefined);
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (v: Live | undefined) => {
        clearTimeout(timer);
        this.off('live', onLive);
        this.off('closed', onClosed);
        resolve(v);
      };
      this.on('live', onLive);
      this.on('closed', onClosed);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeSleep?.();
    this.emit('closed');
    const live = this.live;
    this.live = undefined;
    if (live) {
      await live.publishChannel.close().catch(() => undefined);
      await live.model.close().catch(() => undefined);
    }
  }

  private async loop(): Promise<void> {
    for (let attempt = 1; !this.closed && !this.live; attempt++) {
      try {
        await this.open();
        return;
      } catch (err) {
        this.lastError = err as Error;
        const delay = backoffMs(attempt);
        this.logger?.warn('amqp connect failed; retrying', { error: this.lastError.message, attempt, delayMs: delay });
        await this.sleep(delay);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }

  private async open(): Promise<void> {
    const model = await amqp.connect(this.url, { clientProperties: { connection_name: `herald:${this.prefix}` } });
    coalesceWrites(model);
    let lost = false;
    const onLost = (why: string) => {
      if (lost) return;
      lost = true;
      if (this.live?.model === model) this.live = undefined;
      model.close().catch(() => undefined);
      if (this.closed) return;
      this.logger?.warn('amqp connection lost; reconnecting', { reason: why });
      this.emit('lost');
      this.start();
    };
    // Without 'error' listeners an emitted error would crash the process.
    model.on('error', (err: Error) => this.logger?.warn('amqp connection error', { error: err.message }));
    model.on('close', () => onLost('connection closed'));
    try {
      const setup = await model.createChannel();
      setup.on('error', () => undefined);
      await declareTopology(setup, this.prefix);
      await setup.close();
      const publishChannel = await model.createConfirmChannel();
      publishChannel.on('error', (err: Error) => this.logger?.warn('amqp publish channel error', { error: err.message }));
      publishChannel.on('close', () => onLost('publish channel closed'));
      if (this.closed || lost) throw new Error('connection closed during setup');
      this.live = { model, publishChannel };
    } catch (err) {
      lost = true;
      await model.close().catch(() => undefined);
      throw err;
    }
    this.lastError = undefined;
    this.logger?.info('amqp connected', { prefix: this.prefix });
    this.emit('live', this.live);
  }
}
