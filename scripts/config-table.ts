// Regenerates the configuration table in README.md from ENV_KEYS and config/default.json,
// so the documentation cannot drift from the code (test/unit/readme.test.ts checks it).
import fs from 'node:fs';
import path from 'node:path';
import { ENV_KEYS, loadConfig } from '../src/config';

export function configTable(): string {
  const defaults = loadConfig({}) as unknown as Record<string, unknown>;
  const get = (p: string) => p.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
  const show = (v: unknown) => (v === undefined ? '(unset)' : Array.isArray(v) ? (v.length ? JSON.stringify(v) : '[] (outbox)') : `\`${String(v)}\``);
  const rows = ENV_KEYS.map((k) => `| \`${k.path}\` | \`${k.env}\` | ${show(get(k.path))} | ${k.doc} |`);
  return ['| key | environment variable | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export const README = path.join(__dirname, '..', 'README.md');

export function withTable(readme: string): string {
  return readme.replace(/(<!-- config-table:start -->)[\s\S]*?(<!-- config-table:end -->)/, `$1\n${configTable()}\n$2`);
}

if (require.main === module) {
  fs.writeFileSync(README, withTable(fs.readFileSync(README, 'utf8')));
  process.stdout.write('README.md configuration table updated\n');
}
