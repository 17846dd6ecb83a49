// One Herald installation for a fault test file: server, SMS worker and email worker as child
// processes on a database and a queue prefix of their own, a fake Twilio and an SMTP sink in
// the test process, and a store opened here for fast set-up and for reading the outcome.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Channel } from '../../src/domain/types';
import { createMongoStore, type MongoStore } from '../../src/store/mongo';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { disposeInstallation, eventually, tempDir } from '../support/herald';
import { freePort, heraldEnv, heraldProcess, startAll, stopAll, type HeraldProcess } from '../support/processes';
import { AMQP_URL, MONGO_BASE_URI, requireServices, uniqueName } from '../support/services';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

export const TWILIO_SID = 'AC' + 'f'.repeat(32);
export const TWILIO_TOKEN = 'fault-token';

export interface ClusterOptions {
  /** Put a TCP proxy between Herald's processes and MongoDB (the test's own store bypasses it). */
  mongoProxy?: boolean;
  /** Extra environment for every process. */
  env?: Record<string, string>;
  /** Provider timeout in ms (shorter than HERALD_LEASE_MS). Default 2500: a loaded 2-core machine answers late. */
  providerTimeoutMs?: number;
  /** SMS worker processes (default 1). */
  smsWorkers?: number;
  /** A second fake Twilio, configured as the SMS provider after the first ('twilio-2'). */
  secondTwilio?: boolean;
  /** ratePerSecond of the first SMS provider. */
  twilioRatePerSecond?: number;
}

export interface Cluster {
  store: MongoStore;
  twilio: FakeTwilio;
  /** The second SMS provider's fake, with `secondTwilio`. */
  twilio2?: FakeTwilio;
  smtp: SmtpSink;
  server: HeraldProcess;
  sms: HeraldProcess;
  email: HeraldProcess;
  /** SMS workers beyond the first (`smsWorkers`). */
  moreSms: HeraldProcess[];
  processes: HeraldProcess[];
  prefix: string;
  dbName: string;
  proxy?: TcpProxy;
  logDir: string;
  /** A program and event type with `users` subscribers on `channels`; returns their ids. */
  seed(users: number, channels: Channel[]): Promise<{ programId: string; eventTypeId: string }>;
  /** Messages at the fake Twilio plus emails at the SMTP sink, so far. */
  received(): number;
  /** POST /v1/notifications; resolves the id of a 202, throws otherwise. */
  post(programId: string, eventTypeId: string): Promise<string>;
  dispose(): Promise<void>;
}

/** Several processes compiling at once on a busy 2-core machine can take this long to be ready. */
const READY_MS = 90_000;

/** SMS text is unique per notification and user, so a receipt at the fake Twilio names its message. */
const SMS_TEMPLATE = '{{data.tag}} {{user.id}}';

export async function startCluster(name: string, opts: ClusterOptions = {}): Promise<Cluster> {
  await requireServices(['mongo', 'amqp']);
  const twilio = await startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN });
  const twilio2 = opts.secondTwilio ? await startFakeTwilio({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }) : undefined;
  const twilioOptions = (url: string) => ({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: '+15005550006', apiUrl: url, timeoutMs: opts.providerTimeoutMs ?? 2500 });
  const smtp = await startSmtpSink();
  const dbName = `herald_fault_${name}_${randomUUID().slice(0, 6)}`;
  const base = new URL(MONGO_BASE_URI);
  let proxy: TcpProxy | undefined;
  if (opts.mongoProxy) proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port || 27017) });
  const direct = new URL(MONGO_BASE_URI);
  direct.pathname = `/${dbName}`;
  const viaProxy = new URL(direct.toString());
  if (proxy) viaProxy.port = String(proxy.port);
  const prefix = uniqueName(`fault-${name}`);
  const logDir = tempDir(`herald-fault-${name}-`);
  const timeoutMs = opts.providerTimeoutMs ?? 2500;
  const env = heraldEnv({
    mongodbUri: viaProxy.toString(),
    amqpUrl: AMQP_URL,
    amqpPrefix: prefix,
    dispatchPort: await freePort(),
    extra: {
      HERALD_DATA_DIR: logDir,
      HERALD_SMS_PROVIDERS: JSON.stringify([
        { id: 'twilio', type: 'twilio', options: twilioOptions(twilio.url), ...(opts.twilioRatePerSecond ? { ratePerSecond: opts.twilioRatePerSecond } : {}) },
        ...(twilio2 ? [{ id: 'twilio-2', type: 'twilio', options: twilioOptions(twilio2.url) }] : []),
      ]),
      HERALD_EMAIL_PROVIDERS: JSON.stringify([{ id: 'smtp', type: 'smtp', options: { url: smtp.url, from: 'Herald <herald@example.org>', timeoutMs } }]),
      ...opts.env,
    },
  });
  const server = heraldProcess({ role: 'server', env, logDir, readyTimeoutMs: READY_MS });
  const sms = heraldProcess({ role: 'sms', env, logDir, readyTimeoutMs: READY_MS });
  const email = heraldProcess({ role: 'email', env, logDir, readyTimeoutMs: READY_MS });
  const moreSms = Array.from({ length: Math.max(0, (opts.smsWorkers ?? 1) - 1) }, (_, i) => heraldProcess({ role: 'sms', env, logDir, logName: `sms-${i + 2}`, readyTimeoutMs: READY_MS }));
  const processes = [server, sms, email, ...moreSms];
  const store = createMongoStore(direct.toString());
  await store.connect();
  await startAll(processes);
  let seeded = 0;

  return {
    store,
    twilio,
    twilio2,
    smtp,
    server,
    sms,
    email,
    moreSms,
    processes,
    prefix,
    dbName,
    proxy,
    logDir,
    async seed(users, channels) {
      const programId = `p${++seeded}`;
      const eventTypeId = 'e1';
      await store.programs.create('default', { id: programId, name: `fault ${name} ${programId}` });
      await store.eventTypes.create('default', {
        id: eventTypeId,
        programId,
        name: 'fault',
        templates: { sms: { text: SMS_TEMPLATE }, email: { subject: '{{data.tag}}', text: 'Hello {{user.name}}' } },
      });
      for (let from = 0; from < users; from += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, users - from) }, async (_, k) => {
            const i = from + k;
            const id = `${programId}-u${String(i).padStart(6, '0')}`;
            await store.users.create('default', { id, name: `User ${i}`, phone: `+2547${String(seeded * 1_000_000 + i).padStart(8, '0')}`, email: `${id}@example.org` });
            await store.subscriptions.create('default', { id: `s-${id}`, userId: id, programId, eventTypeId, channels });
          }),
        );
      }
      return { programId, eventTypeId };
    },
    received: () => twilio.received.length + (twilio2?.received.length ?? 0) + smtp.received.length,
    async post(programId, eventTypeId) {
      const res = await fetch(`${server.url}/v1/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ programId, eventTypeId, startTime: new Date().toISOString(), data: { tag: `t${randomUUID().slice(0, 8)}` } }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { id?: string };
      if (res.status !== 202 || !body.id) throw new Error(`POST /v1/notifications answered ${res.status}: ${JSON.stringify(body)}`);
      return body.id;
    },
    async dispose() {
      await stopAll(processes);
      await twilio.close();
      await twilio2?.close();
      await smtp.close();
      await proxy?.close();
      await store.close();
      await disposeInstallation(AMQP_URL, prefix, direct.toString());
    },
  };
}

export function logHint(c: Cluster): string {
  return `process logs in ${path.resolve(c.logDir)}`;
}

/** Waits until check() holds, polling every 10 ms so that a fault lands close to its mark. */
export async function until(c: Cluster, what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  await eventually(`${what}; ${logHint(c)}`, check, timeoutMs, 10);
}
