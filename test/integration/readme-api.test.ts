// The README's API table lists exactly the routes the OpenAPI document describes: a route added
// without a row (or a row left for a removed route) fails with the rows to add or remove.
import fs from 'node:fs';
import path from 'node:path';
import { startTestHerald, testConfig } from '../support/herald';
import type { RunningHerald } from '../../src/runtime';

const README = path.resolve(__dirname, '../../README.md');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** `GET, PATCH /v1/users/:userId` rows of the table under "## The API at a glance", as `METHOD path` strings. */
function readmeOperations(readme: string): Set<string> {
  const section = readme.split('## The API at a glance')[1]?.split(/\n## /)[0] ?? '';
  const ops = new Set<string>();
  for (const m of section.matchAll(/^\| `([A-Z, ]+) (\/[^`]*)` \|/gm)) {
    for (const method of m[1].split(',').map((x) => x.trim())) ops.add(`${method} ${m[2]}`);
  }
  return ops;
}

describe('README API table', () => {
  let herald: RunningHerald;
  beforeAll(async () => {
    herald = await startTestHerald(testConfig('embedded'));
  });
  afterAll(async () => {
    await herald?.stop();
  });

  it('has a row for every route of the OpenAPI document and none for a route that does not exist', async () => {
    const doc = (await (await fetch(`${herald.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    const documented = new Map<string, string>();
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (METHODS.includes(method.toUpperCase())) documented.set(`${method.toUpperCase()} ${p.replace(/\{([^}]+)\}/g, ':$1')}`, op.summary ?? '');
      }
    }
    const listed = readmeOperations(fs.readFileSync(README, 'utf8'));
    expect(listed.size).toBeGreaterThan(10);
    const missing = [...documented].filter(([op]) => !listed.has(op)).map(([op, summary]) => `| \`${op}\` | ${summary} |`);
    const stale = [...listed].filter((op) => !documented.has(op)).map((op) => `\`${op}\``);
    const problems = [
      ...(missing.length ? [`add these rows to README.md's "The API at a glance" table (or fold them into a row of the same path):`, ...missing] : []),
      ...(stale.length ? ['remove these operations from the table (no such route):', ...stale] : []),
    ];
    expect(problems.join('\n')).toBe('');
  });
});
