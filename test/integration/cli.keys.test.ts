// `herald keys create|list|revoke` against a running server, as an API client.
import request from 'supertest';
import { keysCommand } from '../../src/cli/keys';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, startTestHerald, testConfig } from '../support/herald';

const ADMIN = 'admin-key-for-cli-tests-01';
let herald: RunningHerald;

beforeAll(async () => {
  herald = await startTestHerald(testConfig('embedded', { 'auth.adminKey': ADMIN }), 'server');
});
afterAll(() => disposeTestHerald(herald));

/** Runs `herald keys ...args`; resolves what it printed. */
async function keys(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    await keysCommand().exitOverride().parseAsync([...args, '--url', herald.url!, '--key', ADMIN], { from: 'user' });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}

test('creates a key (printed once), lists it by prefix and revokes it', async () => {
  const created = await keys('create', '--role', 'sender', '--name', 'ops scripts');
  const key = created.stdout.trim();
  expect(key).toMatch(/^hk_/);
  const id = /created key (\S+)/.exec(created.stderr)![1];
  expect((await request(herald.url!).get('/v1/programs').set('Authorization', `Bearer ${key}`)).status).toBe(200);

  const listed = await keys('list', '--json');
  const rows = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(rows).toEqual([expect.objectContaining({ id, role: 'sender', name: 'ops scripts', prefix: key.slice(0, 20) })]);
  expect(listed.stdout).not.toContain(key);
  expect((await keys('list')).stdout).toContain(id);

  await keys('revoke', id);
  expect((await request(herald.url!).get('/v1/programs').set('Authorization', `Bearer ${key}`)).status).toBe(401);
});

test("says what the server answered when the call is refused", async () => {
  await expect(keys('create', '--role', 'sender', '--name', 'x', '--workspace', 'nope')).rejects.toThrow(/workspace 'nope' not found/);
  await expect(keysCommand().exitOverride().parseAsync(['list', '--url', herald.url!, '--key', 'wrong'], { from: 'user' })).rejects.toThrow(/API key is not valid/);
});
