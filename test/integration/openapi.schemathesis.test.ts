// schemathesis (PyPI, installed by scripts/test-services.sh) against /openapi.json of an embedded
// Herald with its demo data: every check, the examples, coverage, fuzzing and stateful (links)
// phases, a bounded number of cases per operation, a fixed seed. Any failure fails this test with
// schemathesis's own report, which carries a curl line to reproduce each one.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, startTestHerald, testConfig } from '../support/herald';

const ROOT = path.resolve(__dirname, '../..');
/** Installed by scripts/test-services.sh; a git worktree whose node_modules links to the main checkout uses that checkout's. */
const ST = [ROOT, path.dirname(fs.realpathSync(path.join(ROOT, 'node_modules')))]
  .map((dir) => path.join(dir, '.test-services', 'venv', 'bin', 'st'))
  .find((candidate) => fs.existsSync(candidate)) ?? path.join(ROOT, '.test-services', 'venv', 'bin', 'st');
const CONFIG = path.join(ROOT, 'test', 'support', 'schemathesis.toml');
/** Keys exist (no protected mode), so a request without one must get 401; every generated request carries this one. */
const ADMIN_KEY = 'schemathesis-admin-key-0123456789';
const AUTHORIZATION = `Bearer ${ADMIN_KEY}`;

let running: ReturnType<typeof spawn> | undefined;

/**
 * One worker: with two, hypothesis parses lambda sources from two threads at once, which CPython
 * 3.11 can fail with "SystemError: AST constructor recursion depth mismatch" (seen once); the run
 * is no slower with one (the SSE stream, read to its first event only, was the slow part).
 */
function schemathesis(baseUrl: string, authorization?: string): Promise<{ code: number | null; output: string }> {
  const args = ['--config-file', CONFIG, 'run', `${baseUrl}/openapi.json`, '--checks', 'all', '--max-examples', '3', '--seed', '1', '--workers', '1', '--no-color'];
  if (authorization) args.push('--header', `Authorization: ${authorization}`);
  return new Promise((resolve, reject) => {
    const child = (running = spawn(ST, args, { cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-st-')), stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The run ended on errors of the tool itself (its summary counts errors, no check failed). */
function toolErrorOnly(output: string): boolean {
  const summary = output.split('\n').filter((l) => /^=+ .* in [\d.]+s =+$/.test(l.trim())).pop() ?? '';
  return /\berrors?\b/.test(summary) && !/\bfailures?\b/.test(summary);
}

describe('the OpenAPI document states what the server enforces', () => {
  let herald: RunningHerald;
  beforeAll(async () => {
    if (!fs.existsSync(ST)) throw new Error(`${ST} is missing: run scripts/test-services.sh (it installs schemathesis)`);
    herald = await startTestHerald(testConfig('embedded', { seedDemoData: 'embedded', 'log.level': 'error', 'auth.adminKey': ADMIN_KEY, 'rateLimit.max': 1_000_000 }));
  });
  afterAll(async () => {
    running?.kill('SIGKILL');
    await disposeTestHerald(herald);
  });

  it('schemathesis finds no failure with all checks', async () => {
    let { code, output } = await schemathesis(herald.url!, AUTHORIZATION);
    if (code !== 0 && toolErrorOnly(output)) {
      // A crash inside schemathesis/hypothesis (seen once: an internal error of its generator) says
      // nothing about Herald: run once more, and fail on whatever the second run reports.
      process.stderr.write(`schemathesis stopped on an error of its own; running it again:\n${output.slice(-3000)}\n`);
      ({ code, output } = await schemathesis(herald.url!, AUTHORIZATION));
    }
    if (code !== 0) throw new Error(`schemathesis exited with ${code}:\n${output}`);
    expect(output).toMatch(/No issues found|passed/i);
  }, 420_000);
});
