// What every bench phase shares: the temp folder, the servers, the bench's database handle,
// and a server + SMS worker pair of Herald child processes pointed at one fake provider.
import fs from 'node:fs';
import path from 'node:path';
import type { Notification } from '../src/domain/types';
import type { BenchDb, MessageMatch } from './fixtures';
import { freePort, startHeraldChild, type HeraldChild } from './processes';
import type { SmsSink } from './sinks';

export interface BenchContext {
  dir: string;
  amqpUrl: string;
  mongodbUri: string;
  amqpPrefix: string;
  db: BenchDb;
  /** Settings every Herald child gets on top of the defaults (e.g. the prefetch under test). */
  heraldOverrides: Record<string, unknown>;
  /** When set, every Herald child writes a V8 CPU profile here (node --cpu-prof). */
  cpuProfileDir?: string;
  say(line: string): void;
}

export interface HeraldPair {
  url: string;
  server: HeraldChild;
  sms: HeraldChild;
  /** Reads both peaks now (call it while they run). */
  sample(): void;
  /** Stops both; resolves their peak RSS in MB. */
  stop(): Promise<{ server: number; sms: number }>;
}

export async function startPair(ctx: BenchContext, sink: SmsSink, tag: string, smsDataDir: string): Promise<HeraldPair> {
  const port = await freePort();
  const common = {
    host: '127.0.0.1',
    seedDemoData: 'never',
    mongodbUri: ctx.mongodbUri,
    amqpUrl: ctx.amqpUrl,
    amqpPrefix: ctx.amqpPrefix,
    ...ctx.heraldOverrides,
  };
  const serverDir = path.join(ctx.dir, `${tag}-server`);
  fs.mkdirSync(serverDir, { recursive: true });
  fs.mkdirSync(smsDataDir, { recursive: true });
  const prof = ctx.cpuProfileDir ? { dir: ctx.cpuProfileDir } : undefined;
  const server = await startHeraldChild(ctx.dir, `${tag}-server`, 'server', { ...common, dispatchPort: port, dataDir: serverDir }, prof);
  let sms: HeraldChild;
  try {
    sms = await startHeraldChild(ctx.dir, `${tag}-sms`, 'sms', { ...common, dispatchPort: 0, dataDir: smsDataDir, 'providers.sms': sink.providers }, prof);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    sms,
    sample() {
      server.peakRssMb();
      sms.peakRssMb();
    },
    async stop() {
      const [s, w] = await Promise.all([server.stop(), sms.stop()]);
      return { server: s, sms: w };
    },
  };
}

/** Herald as one phase runs it: a server + SMS worker pair (MongoDB + RabbitMQ) or one `herald all` (embedded). */
export interface HeraldUnderTest {
  url: string;
  /** Herald's processes to meter, by name (server, worker; or herald). */
  pids: Record<string, number>;
  /** Reads every peak now (call it while they run). */
  sample(): void;
  /** Stops them; resolves each one's peak RSS in MB, by name. */
  stop(): Promise<Record<string, number>>;
}

/** What a phase reads back from Herald's store: counts per status, the last sentAt, a notification. */
export interface CountingDb {
  countByStatus(match: MessageMatch): Promise<Partial<Record<string, number>>>;
  lastSentAt(match: MessageMatch): Promise<Date | undefined>;
  notification(id: string): Promise<Notification | null>;
}

/** One backend under test: how to start Herald on it, where to count, which shared services to meter. */
export interface PhaseEnv {
  dir: string;
  db: CountingDb;
  launch(sink: SmsSink, tag: string, smsDataDir: string): Promise<HeraldUnderTest>;
  /** The shared services' pids (broker, Mongo server) metered with Herald; none on the embedded default. */
  services(): Record<string, number | undefined>;
  say(line: string): void;
}

/** The MongoDB + RabbitMQ installation of a BenchContext as a PhaseEnv. */
export function pairEnv(ctx: BenchContext, services: () => Record<string, number | undefined>): PhaseEnv {
  return {
    dir: ctx.dir,
    say: ctx.say,
    services,
    db: {
      countByStatus: (m) => ctx.db.countByStatus(m),
      lastSentAt: (m) => ctx.db.lastSentAt(m),
      notification: (id) => ctx.db.store.notifications.get(id),
    },
    async launch(sink, tag, smsDataDir) {
      const pair = await startPair(ctx, sink, tag, smsDataDir);
      return {
        url: pair.url,
        pids: { server: pair.server.pid, worker: pair.sms.pid },
        sample: () => pair.sample(),
        stop: async () => pair.stop(),
      };
    },
  };
}

/** What reached the fake provider against what should have: lost is only known once all were sent. */
export interface DeliveryTally {
  sent: number;
  received: number;
  distinct: number;
  /** Only known once every message was sent (`completed`); then expected minus distinct. */
  lost: number | undefined;
  duplicated: number;
  /** Messages not yet sent when the time limit ended the run. */
  unfinished: number;
  /** Peak RSS of each Herald process, by name. */
  peakMb: Record<string, number>;
  completed: boolean;
}

/** The tally of one run: `reached` is whether the provider received everything in time. */
export function tally(expected: number, sent: number, sink: SmsSink, reached: boolean, peakMb: DeliveryTally['peakMb']): DeliveryTally {
  const received = sink.received();
  const distinct = sink.distinct();
  const completed = reached && sent === expected;
  return { sent, received, distinct, lost: completed ? expected - distinct : undefined, duplicated: received - distinct, unfinished: expected - sent, peakMb, completed };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until true or `timeoutMs`; `onTick` runs every poll (progress, memory samples). */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, onTick?: () => void, everyMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    onTick?.();
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}
