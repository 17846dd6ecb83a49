// The admin key comes from HERALD_ADMIN_KEY or from the file HERALD_ADMIN_KEY_FILE names (Docker secrets; config's <NAME>_FILE).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/domain/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-key-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('admin key', () => {
  it('is read from the secret file, without its trailing newline', () => {
    const file = path.join(dir, 'herald_admin_key');
    fs.writeFileSync(file, '0123456789abcdef0123\n');
    expect(loadConfig({ HERALD_ADMIN_KEY_FILE: file }).auth.adminKey).toBe('0123456789abcdef0123');
    expect(() => loadConfig({ HERALD_ADMIN_KEY_FILE: file, HERALD_ADMIN_KEY: 'given-directly-0123' })).toThrow(/not both/);
  });

  it('refuses a file that cannot be read and a key too short to be one', () => {
    expect(() => loadConfig({ HERALD_ADMIN_KEY_FILE: path.join(dir, 'missing') })).toThrow(ConfigError);
    expect(() => loadConfig({ HERALD_ADMIN_KEY_FILE: path.join(dir, 'missing') })).toThrow(/HERALD_ADMIN_KEY_FILE/);
    expect(() => loadConfig({ HERALD_ADMIN_KEY: 'short' })).toThrow(/HERALD_ADMIN_KEY.*16/);
  });

  it('is absent by default (protected mode), and the legacy door is closed once keys exist', () => {
    const c = loadConfig({});
    expect(c.auth.adminKey).toBeUndefined();
    expect(c.auth.legacyOpen).toBe(false);
    expect(loadConfig({ HERALD_LEGACY_OPEN: 'true' }).auth.legacyOpen).toBe(true);
  });
});
