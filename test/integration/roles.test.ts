// Every route x every role, on a running server: the roles each operation declares in the
// OpenAPI document are the ones enforced, and the README's role table says the same.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, startTestHerald, testConfig } from '../support/herald';

const ADMIN_KEY = 'test-admin-key-0123456789';
const CALLERS = ['none', 'viewer', 'sender', 'admin'] as const;
type Caller = (typeof CALLERS)[number];

interface Operation {
  method: string;
  path: string;
  /** Empty: open. */
  roles: string[];
}

let herald: RunningHerald;
let operations: Operation[];
const keys: Partial<Record<Caller, string>> = {};

beforeAll(async () => {
  herald = await startTestHerald(testConfig('embedded', { 'auth.adminKey': ADMIN_KEY }), 'server');
  const api = request(herald.url!);
  keys.admin = ADMIN_KEY;
  for (const role of ['viewer', 'sender'] as const) {
    const r = await api.post('/v1/workspaces/default/keys').set('Authorization', `Bearer ${ADMIN_KEY}`).send({ role, name: role });
    expect(r.status).toBe(201);
    keys[role] = r.body.key;
  }
  const doc = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, { 'x-roles'?: string[]; security?: unknown[] }>> };
  operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path: p, roles: op['x-roles'] ?? [] })),
  );
});
afterAll(() => disposeTestHerald(herald));

// A client webhook endpoint id has the `we_` prefix (anything else under /v1/webhooks/ is a provider's).
const concrete = (p: string) => p.replace('{webhookId}', 'we_x').replace(/\{[^}]+\}/g, 'x');

test('every route answers every role as it declares: 401 without a key, 403 for a role below it, neither otherwise', async () => {
  expect(operations.length).toBeGreaterThan(30);
  const wrong: string[] = [];
  for (const op of operations) {
    for (const caller of CALLERS) {
      let req = request(herald.url!)[op.method.toLowerCase() as 'get'](concrete(op.path));
      if (caller !== 'none') req = req.set('Authorization', `Bearer ${keys[caller]}`);
      if (op.method === 'POST' || op.method === 'PATCH') req = req.send({});
      const status = (await req).status;
      const open = op.roles.length === 0;
      const allowed = open || (caller !== 'none' && op.roles.includes(caller));
      const expected = allowed ? 'neither 401 nor 403' : caller === 'none' ? '401' : '403';
      const ok = allowed ? status !== 401 && status !== 403 : status === (caller === 'none' ? 401 : 403);
      // A webhook's own 403 is its signature check, not access.
      if (!ok && !(open && op.path.startsWith('/v1/webhooks'))) wrong.push(`${op.method} ${op.path} as ${caller}: ${status}, expected ${expected}`);
    }
  }
  expect(wrong).toEqual([]);
});

test('the OpenAPI document declares the bearer scheme, and every gated operation names it', async () => {
  const doc = (await request(herald.url!).get('/openapi.json')).body;
  expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  for (const ops of Object.values(doc.paths) as Array<Record<string, { security: unknown[]; 'x-roles': string[] }>>) {
    for (const op of Object.values(ops)) expect(op.security).toEqual(op['x-roles'].length ? [{ bearerAuth: [] }] : []);
  }
});

test("the README's role table lists every route with the least role the code requires", () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const table = readme.split('<!-- role-table -->')[1].split('<!-- /role-table -->')[0];
  const documented = [...table.matchAll(/^\| `(\w+) (\S+)` \| (\w+)/gm)].map(([, m, p, role]) => `${m} ${p} ${role}`).sort();
  const least = (roles: string[]) => (roles.length === 0 ? 'open' : roles[0]);
  expect(documented).toEqual(operations.map((op) => `${op.method} ${op.path} ${least(op.roles)}`).sort());
});

test('/docs serves the document with its bearer scheme, so Authorize asks for the key and sends it', async () => {
  const init = await request(herald.url!).get('/docs/swagger-ui-init.js');
  expect(init.status).toBe(200);
  const embedded = JSON.parse(/"swaggerDoc":\s*(\{[\s\S]*?\}),\s*"customOptions"/.exec(init.text)![1]);
  expect(embedded.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  expect(embedded.paths['/v1/programs'].get.security).toEqual([{ bearerAuth: [] }]);
  expect(init.text).toMatch(/"persistAuthorization":\s*true/);
});
