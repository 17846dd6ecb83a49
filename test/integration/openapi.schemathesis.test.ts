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
const ST = path.join(ROOT, '.test-services', 'venv', 'bin', 'st');
const CONFIG = path.join(ROOT, 'test', 'support', 'schemathesis.toml');
/** Keys exist (no protected mode), so a request without one must get 401; every generated request carries this one. */
const ADMIN_KEY = 'schemathesis-admin-key-0123456789';
const AUTHORIZATION = `Bearer ${ADMIN_KEY}`;

let running: ReturnType<typeof spawn> | undefined;

function schemathesis(baseUrl: string, authorization?: string): Promise<{ code: number | null; output: string }> {
  const args = ['--config-file', CONFIG, 'run', `${baseUrl}/openapi.json`, '--checks', 'all', '--max-examples', '3', '--seed', '1', '--workers', '2', '--no-color'];
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
    const { code, output } = await schemathesis(herald.url!, AUTHORIZATION);
    if (code !== 0) throw new Error(`schemathesis exited with ${code}:\n${output}`);
    expect(output).toMatch(/No issues found|passed/i);
  }, 420_000);
});
