// Prometheus metrics of one process (prom-client, a registry of its own). Labels are bounded:
// channel, provider instance, status, queue, source; never a message, user or notification id.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { QUEUES, type Bus } from '../../bus/bus';
import { toCredits } from '../../domain/credits';
import { usageColumnOf } from '../../domain/usage';
import type { Channel } from '../../domain/types';
import type { Provider, SendResult } from '../../providers/types';
import { refundsCost } from '../usage/deltas';
import type { MessageListener } from '../usage/observe-messages';
import type { NotificationService } from '../notification-service';

/** Reasons the sender writes on a hand-back (sender.ts): a retry of the same provider, or a failover. */
const RETRY_REASON = /^retry after /;
const FAILOVER_REASON = /^refused by provider: /;
const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
const PROBE_TIMEOUT_MS = 1_000;

export interface CircuitSource {
  status(): Array<{ id: string; channel: Channel; circuit: keyof typeof CIRCUIT_VALUE }>;
}

export interface HeraldMetrics {
  registry: Registry;
  /** Counts messages entering each status after the hand-over, retries and failovers (hooked on the message repo). */
  messageListener: MessageListener;
  /** The provider, its sends timed and counted in flight. */
  instrumentProvider<P extends Provider>(p: P): P;
  /** The service, its accept timed by source. */
  instrumentAccept(s: NotificationService): NotificationService;
  /** Circuit state per provider and queue depths, read at each scrape. */
  watch(sources: { routers?: () => CircuitSource[]; bus?: Bus }): void;
}

/**
 * The provider with its own `send`: its other members read through the prototype (no Proxy trap per
 * property read) and its other methods bound to it once, as the Proxy bound them at each read.
 */
function wrapSend<P extends Provider>(p: P, send: (msg: never) => Promise<SendResult>): P {
  const w = Object.create(p) as Record<string, unknown>;
  // Own and inherited methods alike (a class-based provider's live on its prototype), so `this` stays the provider.
  for (let o: object | null = p; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k === 'send' || k === 'constructor' || Object.prototype.hasOwnProperty.call(w, k)) continue;
      const v = (p as unknown as Record<string, unknown>)[k];
      if (typeof v === 'function') w[k] = (v as (...a: unknown[]) => unknown).bind(p);
    }
  }
  w.send = send;
  return w as unknown as P;
}

/** Counts by channel, provider and status, added without building label objects; handed on (and zeroed) at each scrape. */
class LabelledCounts {
  private readonly counts = new Map<string, Map<string, Map<string, number>>>();
  add(channel: string, provider: string, status: string): void {
    let byProvider = this.counts.get(channel);
    if (!byProvider) this.counts.set(channel, (byProvider = new Map()));
    let byStatus = byProvider.get(provider);
    if (!byStatus) byProvider.set(provider, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }
  flush(to: (channel: string, provider: string, status: string, n: number) => void): void {
    for (const [channel, byProvider] of this.counts) {
      for (const [provider, byStatus] of byProvider) {
        for (const [status, n] of byStatus) {
          if (n > 0) to(channel, provider, status, n);
          byStatus.set(status, 0);
        }
      }
    }
  }
}

function timeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);
}

/** `defaultMetrics: false`: no process and Node.js metrics (a sender thread's: its process reports them). */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): HeraldMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  // The per-message counters add up here (no label hashing per message) and reach prom-client at each scrape.
  const messageCounts = new LabelledCounts();
  const messages = new Counter({
    name: 'herald_messages_total', help: 'Messages entering a status once with (or past) a provider: sent, delivered, undelivered, failed, expired, cancelled, rejected',
    labelNames: ['channel', 'provider', 'status'], registers: [registry],
    collect() {
      messageCounts.flush((channel, provider, status, n) => this.inc({ channel, provider, status }, n));
    },
  });
  const retries = new Counter({ name: 'herald_retries_total', help: 'Attempts handed back to retry on the same channel', labelNames: ['channel', 'provider'], registers: [registry] });
  const failovers = new Counter({ name: 'herald_failovers_total', help: 'Messages a provider refused, handed on to another provider', labelNames: ['channel', 'provider'], registers: [registry] });
  const providerCalls = new Histogram({
    name: 'herald_provider_call_seconds', help: 'Duration of one provider send call', labelNames: ['channel', 'provider', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry],
  });
  const creditsCharged = new Counter({
    name: 'herald_credits_charged_total', help: 'Credits reserved for messages at dispatch (metered workspaces); the refunds are counted apart',
    labelNames: ['channel'], registers: [registry],
  });
  const creditsRefunded = new Counter({
    name: 'herald_credits_refunded_total', help: 'Credits given back for messages that ended unsent (failed, expired, cancelled, rejected)',
    labelNames: ['channel'], registers: [registry],
  });
  /** Provider send calls under way, by channel: counted here, set on the gauge at each scrape. */
  const inFlightBy = new Map<Channel, number>();
  new Gauge({
    name: 'herald_messages_in_flight', help: 'Provider send calls under way in this process', labelNames: ['channel'], registers: [registry],
    collect() {
      for (const [channel, n] of inFlightBy) this.set({ channel }, n);
    },
  });
  const accept = new Histogram({
    name: 'herald_accept_seconds', help: 'Time to accept (store) one notification event', labelNames: ['source', 'outcome'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  let routers: () => CircuitSource[] = () => [];
  let bus: Bus | undefined;
  new Gauge({
    name: 'herald_circuit_state', help: 'Circuit of each provider in this process: 0 closed, 1 half-open, 2 open', labelNames: ['channel', 'provider'], registers: [registry],
    // Threads of one process (herald all's sender threads) each have their circuits: the process shows the worst.
    aggregator: 'max',
    collect() {
      for (const r of routers()) for (const s of r.status()) this.set({ channel: s.channel, provider: s.id }, CIRCUIT_VALUE[s.circuit]);
    },
  });
  new Gauge({
    name: 'herald_queue_depth', help: 'Messages waiting in each queue (not in flight); absent while the bus does not answer', labelNames: ['queue'], registers: [registry],
    async collect() {
      this.reset();
      if (!bus) return;
      const depths = await Promise.allSettled(QUEUES.map((q) => timeout(bus!.depth(q), PROBE_TIMEOUT_MS)));
      depths.forEach((d, i) => d.status === 'fulfilled' && this.set({ queue: QUEUES[i] }, d.value));
    },
  });

  return {
    registry,
    messageListener(changes) {
      for (const { before, message: m, reason } of changes) {
        if (before === undefined && (m.cost ?? 0) > 0) creditsCharged.inc({ channel: m.channel }, toCredits(m.cost!));
        if (refundsCost(before, m)) creditsRefunded.inc({ channel: m.channel }, toCredits(m.cost!));
        if (usageColumnOf(m.status) !== 'pending' && m.status !== before) messageCounts.add(m.channel, m.provider ?? 'none', m.status);
        else if (before === 'sending' && m.status === 'queued' && reason) {
          const labels = { channel: m.channel, provider: m.provider ?? 'none' };
          if (RETRY_REASON.test(reason)) retries.inc(labels);
          else if (FAILOVER_REASON.test(reason)) failovers.inc(labels);
        }
      }
    },
    instrumentProvider(p) {
      const channel = p.channel;
      if (!inFlightBy.has(channel)) inFlightBy.set(channel, 0); // the series exists (at 0) before the first send
      // The labelled children once per provider: a send only observes its duration.
      const ok = providerCalls.labels({ channel, provider: p.id, outcome: 'ok' });
      const error = providerCalls.labels({ channel, provider: p.id, outcome: 'error' });
      // An async function, not callbacks made per send: a short-lived closure's optimized code dies with it at each full GC.
      const send = async (msg: never): Promise<SendResult> => {
        const start = performance.now();
        inFlightBy.set(channel, inFlightBy.get(channel)! + 1);
        let outcome = error;
        try {
          const r = await (p.send as (m: never) => Promise<SendResult>)(msg);
          outcome = ok;
          return r;
        } finally {
          outcome.observe((performance.now() - start) / 1_000);
          inFlightBy.set(channel, inFlightBy.get(channel)! - 1);
        }
      };
      return wrapSend(p, send);
    },
    instrumentAccept(s) {
      return {
        ...s,
        async accept(req) {
          const end = accept.startTimer({ source: req.source });
          try {
            const n = await s.accept(req);
            end({ outcome: 'accepted' });
            return n;
          } catch (e) {
            end({ outcome: 'refused' });
            throw e;
          }
        },
      };
    },
    watch(sources) {
      if (sources.routers) routers = sources.routers;
      if (sources.bus) bus = sources.bus;
    },
  };
}
