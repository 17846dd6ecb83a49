// Herald's processes as real child processes (`node bin/herald.js server|worker sms|worker email`)
// for fault-injection tests: an explicit environment (never the developer's), readiness by
// GET /health or the 'herald started' log line, stdout+stderr captured to a file per process,
// and kill/restart so a test can crash them the way an operating system would.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'herald.js');

export type ProcessRole = 'server' | 'sms' | 'email' | 'sheets';

export interface HeraldProcess {
  readonly role: ProcessRole;
  /** Base URL of the server role (fixed across restarts). */
  readonly url?: string;
  /** Where this process's stdout and stderr go, appended across restarts. */
  readonly logFile: string;
  /** Pid of the running child, undefined while stopped. */
  readonly pid: number | undefined;
  /** Times the process was started. */
  readonly starts: number;
  start(): Promise<void>;
  /** Sends `signal` and waits for the child to exit (SIGKILL after 15 s if it does not). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

export interface SpawnOptions {
  role: ProcessRole;
  /** The child's whole environment: nothing is inherited. */
  env: Record<string, string>;
  logDir: string;
  /** Log file name without .log (default the role): several processes of one role need their own. */
  logName?: string;
  readyTimeoutMs?: number;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function args(role: ProcessRole): string[] {
  return role === 'server' ? [BIN, 'server'] : [BIN, 'worker', role];
}

async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return r.status === 200;
  } catch {
    return false;
  }
}

export function heraldProcess(opts: SpawnOptions): HeraldProcess {
  const { role, env } = opts;
  const logFile = path.join(opts.logDir, `${opts.logName ?? role}.log`);
  const url = role === 'server' ? `http://127.0.0.1:${env.DISPATCH_PORT}` : undefined;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let starts = 0;

  async function start(): Promise<void> {
    if (child) throw new Error(`${role}: already running (pid ${child.pid})`);
    starts++;
    const out = fs.openSync(logFile, 'a');
    fs.writeSync(out, `\n===== start #${starts} of ${role} at ${new Date().toISOString()} =====\n`);
    const c = spawn(process.execPath, args(role), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let started = false;
    let buffered = '';
    const onStarted = new Promise<void>((resolve) => {
      c.stdout!.on('data', (chunk: Buffer) => {
        fs.writeSync(out, chunk);
        if (started) return;
        buffered += chunk.toString('utf8');
        if (buffered.includes('"message":"herald started"')) {
          started = true;
          buffered = '';
          resolve();
        }
      });
    });
    c.stderr!.on('data', (chunk: Buffer) => fs.writeSync(out, chunk));
    exited = new Promise<void>((resolve) => {
      c.once('exit', (code, signal) => {
        fs.writeSync(out, `\n===== ${role} exited: code ${code} signal ${signal} =====\n`);
        fs.closeSync(out);
        if (child === c) child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + readyTimeoutMs;
    const died = exited.then(() => {
      throw new Error(`${role} exited during start-up; see ${logFile}`);
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${role} not ready in ${readyTimeoutMs} ms; see ${logFile}`)), readyTimeoutMs).unref());
    await Promise.race([onStarted, died, timeout]);
    if (url) {
      while (!(await healthy(url))) {
        if (Date.now() > deadline) throw new Error(`${role}: ${url}/health not 200 in ${readyTimeoutMs} ms; see ${logFile}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async function kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = child;
    if (!c) return;
    c.kill(signal);
    const force = setTimeout(() => c.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(force);
  }

  return {
    role,
    url,
    logFile,
    get pid() {
      return child?.pid;
    },
    get starts() {
      return starts;
    },
    start,
    kill,
    async restart() {
      await kill('SIGTERM');
      await start();
    },
  };
}

export interface HeraldEnvOptions {
  mongodbUri: string;
  amqpUrl: string;
  amqpPrefix: string;
  dispatchPort: number;
  /** Extra or overriding variables (see ENV_KEYS in src/config). */
  extra?: Record<string, string>;
}

/** The environment every fault test gives Herald: short timings so recovery fits in a test. */
export function heraldEnv(o: HeraldEnvOptions): Record<string, string> {
  return {
    NODE_ENV: 'test',
    MONGODB_URI: o.mongodbUri,
    AMQP_URL: o.amqpUrl,
    HERALD_AMQP_PREFIX: o.amqpPrefix,
    DISPATCH_PORT: String(o.dispatchPort),
    HERALD_HOST: '127.0.0.1',
    HERALD_WORKER_HTTP_PORT: '0',
    HERALD_SEED_DEMO: 'never',
    HERALD_SCHEDULER_MS: '200',
    HERALD_RETRY_BASE_MS: '200',
    HERALD_RETRY_MAX_MS: '2000',
    HERALD_LEASE_MS: '6000',
    HERALD_MAX_ATTEMPTS: '4',
    LOG_LEVEL: 'info',
    ...o.extra,
  };
}

/** Starts several processes at once (each start is ~1-2 s of tsx compilation). */
export async function startAll(procs: HeraldProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.start()));
}

/** Stops them all: SIGTERM (graceful), SIGKILL after 15 s. */
export async function stopAll(procs: HeraldProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
}
