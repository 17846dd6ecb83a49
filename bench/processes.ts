// Herald's processes as children (`node bin/herald.js <role>`), each configured through a
// HERALD_CONFIG file of its own, with its peak memory read from /proc before it stops.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type HeraldConfig } from '../src/config';
import { freePort } from '../test/support/processes';

export { freePort };

const ROOT = path.resolve(__dirname, '..');

/** Children still running: killed if the bench itself exits early (Ctrl-C, a crash). */
const live = new Set<ChildProcess>();
process.once('exit', () => live.forEach((c) => c.kill('SIGKILL')));

export interface HeraldChild {
  name: string;
  pid: number;
  /** Peak resident set (VmHWM) in MB, read now. */
  peakRssMb(): number;
  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); resolves the peak RSS seen. */
  stop(graceMs?: number): Promise<number>;
}

/** VmHWM of a live process in MB (0 when it is gone or not on Linux). */
export function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** A full, validated config written where the child's HERALD_CONFIG points. */
export function writeConfig(dir: string, name: string, overrides: Record<string, unknown>): { file: string; config: HeraldConfig } {
  const config = loadConfig({}, overrides);
  const file = path.join(dir, `${name}.config.json`);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return { file, config };
}

/**
 * Starts `node <script> <args>` with only HERALD_CONFIG in its environment (and NODE_OPTIONS from the bench's
 * BENCH_CHILD_NODE_OPTIONS, e.g. a --require probe); stdout/stderr go to <dir>/<name>.log.
 */
export function startChild(dir: string, name: string, args: string[], env: Record<string, string>, readyLine: RegExp): Promise<HeraldChild> {
  const logFile = path.join(dir, `${name}.log`);
  const out = fs.openSync(logFile, 'w'); // a fresh file: an old 'started' line must not count
  const nodeOptions = process.env.BENCH_CHILD_NODE_OPTIONS;
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env: nodeOptions ? { ...env, NODE_OPTIONS: nodeOptions } : env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  live.add(child);
  child.once('exit', () => live.delete(child));
  let exited = false;
  let lastPeak = 0;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const pid = child.pid!;
  const handle: HeraldChild = {
    name,
    pid,
    peakRssMb: () => (lastPeak = Math.max(lastPeak, peakRssMb(pid))),
    async stop(graceMs = 30_000) {
      handle.peakRssMb();
      if (!exited) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      return lastPeak;
    },
  };
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = (): void => {
      const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      if (readyLine.test(text)) return resolve(handle);
      if (exited || Date.now() > deadline) {
        void handle.stop(1000);
        return reject(new Error(`${name} did not start (see ${logFile}):\n${text.slice(-2000)}`));
      }
      setTimeout(poll, 100);
    };
    poll();
  });
}

export function startHeraldChild(
  dir: string,
  name: string,
  role: 'server' | 'sms' | 'all',
  overrides: Record<string, unknown>,
  cpuProfile?: { dir: string },
): Promise<HeraldChild> {
  // Worker HTTP port: any free one, so benches beside tests never collide on 9090.
  const { file } = writeConfig(dir, name, { 'worker.httpPort': 0, ...overrides });
  const prof = cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfile.dir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  // Compiled JavaScript, as deployed (buildHerald() ran first): no TypeScript loader in the measured processes.
  const roleArgs = role === 'sms' ? ['worker', 'sms'] : [role];
  const args = [...prof, path.join(ROOT, 'bin', 'herald.js'), '--dist', ...roleArgs];
  return startChild(dir, name, args, { HERALD_CONFIG: file }, /"message":"herald started"/);
}

/** Compiles Herald into dist/ (`npm run build`), which the bench's children run. */
export function buildHerald(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
}
