// `node bin/herald.js <args>` as a child process for the shutdown, durability and CLI tests:
// an explicit environment (nothing inherited but PATH), output captured, kill and wait.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'herald.js');

/** The environment of an embedded Herald in `dataDir`: no MongoDB, no RabbitMQ, quiet start-up. */
export function embeddedEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'test',
    HERALD_DATA_DIR: dataDir,
    HERALD_HOST: '127.0.0.1',
    HERALD_WORKER_HTTP_PORT: '0',
    HERALD_SEED_DEMO: 'never',
    HERALD_SCHEDULER_MS: '100',
    HERALD_RETRY_BASE_MS: '100',
    HERALD_RETRY_MAX_MS: '1000',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short command (`herald send ...`) to the end, in `cwd` (default the repository). */
export function runHerald(args: string[], env: Record<string, string>, timeoutMs = 30_000, cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`herald ${args.join(' ')} did not finish in ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    c.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LongRunning {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `herald all` (or another long-running role) and resolves once it is running. */
export async function startHeraldChild(args: string[], env: Record<string, string>, readyTimeoutMs = 30_000, nodeArgs: string[] = []): Promise<LongRunning> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + readyTimeoutMs;
  let done = false;
  void exited.then(() => (done = true));
  // The banner is printed at any log level; the log line only at info.
  while (!/ is running\n|"message":"herald started"/.test(out)) {
    if (done) throw new Error(`herald ${args.join(' ')} exited during start-up:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`herald ${args.join(' ')} not started in ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, output: () => out, exited };
}

/** Sends `signal` and waits for the exit; resolves the exit and how long it took. */
export async function stopChild(p: LongRunning, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  const r = await p.exited;
  return { ...r, ms: Date.now() - t0 };
}
