// `herald keys create|list|revoke`: an API client of /v1/workspaces/:id/keys (admin key).
import { Command, InvalidArgumentError } from 'commander';
import Table from 'cli-table3';
import { clientEnv } from '../config';
import { ROLES, type Role } from '../domain/types';

interface Target {
  url: string;
  key?: string;
  workspace: string;
}

interface KeyRecord {
  id: string;
  role: Role;
  name: string;
  prefix: string;
  key?: string;
  lastUsedAt?: string;
  revokedAt?: string;
  createdAt: string;
}

/** One API call; an error answer becomes one line naming Herald's code and message. */
async function call<T>(t: Target, method: string, path: string, body?: unknown): Promise<T> {
  const url = `${t.url.replace(/\/+$/, '')}/v1/workspaces/${encodeURIComponent(t.workspace)}/keys${path}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (t.key) headers.authorization = `Bearer ${t.key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Error(`cannot reach Herald at ${t.url}: ${(e as Error).cause ? String((e as { cause: unknown }).cause) : (e as Error).message}`);
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as Record<string, any>) : undefined;
  if (!res.ok) {
    const err = json?.error as { code?: string; message?: string; issues?: Array<{ field: string; reason: string }> } | undefined;
    const issues = err?.issues?.map((i) => ` ${i.field}: ${i.reason}`).join(';') ?? '';
    throw new Error(`${res.status} ${err?.code ?? ''} ${err?.message ?? text}${issues}`.replace(/\s+/g, ' ').trim());
  }
  return json as T;
}

const roleArg = (v: string): Role => {
  if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
  return v as Role;
};

function target(o: { url?: string; key?: string; workspace: string }): Target {
  const env = clientEnv();
  return { url: o.url ?? env.url, key: o.key ?? env.key, workspace: o.workspace };
}

export async function createKey(t: Target, role: Role, name: string): Promise<KeyRecord> {
  return call<KeyRecord>(t, 'POST', '', { role, name });
}

export async function listKeys(t: Target): Promise<KeyRecord[]> {
  const out: KeyRecord[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await call<{ items: KeyRecord[]; total: number }>(t, 'GET', `?limit=500&offset=${offset}`);
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export async function revokeKey(t: Target, id: string): Promise<void> {
  await call<undefined>(t, 'DELETE', `/${encodeURIComponent(id)}`);
}

/** The `keys` command with its three subcommands. */
export function keysCommand(): Command {
  const keys = new Command('keys').description("manage a workspace's API keys over the API (needs an admin key)");
  const common = (c: Command) =>
    c
      .option('-w, --workspace <id>', 'the workspace', 'default')
      .option('--url <url>', 'Herald base URL (default: HERALD_URL or http://127.0.0.1:8080)')
      .option('--key <key>', 'admin API key (default: HERALD_KEY)');
  common(keys.command('create').description('create a key; prints it once on stdout, details on stderr'))
    .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')}`, roleArg)
    .requiredOption('-n, --name <name>', 'what the key is for')
    .action(async (o) => {
      const k = await createKey(target(o), o.role, o.name);
      process.stderr.write(`created key ${k.id} (${k.role}, "${k.name}") in workspace ${o.workspace}; it is not shown again\n`);
      process.stdout.write(`${k.key}\n`);
    });
  common(keys.command('list').description('list the keys: id, role, name, prefix, last use, revocation'))
    .option('--json', 'print JSON lines')
    .action(async (o) => {
      const list = await listKeys(target(o));
      if (o.json) return void process.stdout.write(list.map((k) => JSON.stringify(k)).join('\n') + (list.length ? '\n' : ''));
      const table = new Table({ head: ['id', 'role', 'name', 'prefix', 'last used', 'revoked'] });
      for (const k of list) table.push([k.id, k.role, k.name, k.prefix, k.lastUsedAt ?? '-', k.revokedAt ?? '-']);
      process.stdout.write(`${table.toString()}\n`);
    });
  common(keys.command('revoke').description('revoke a key: it is refused from now on'))
    .argument('<keyId>', 'the key id (see keys list)')
    .action(async (id: string, o) => {
      await revokeKey(target(o), id);
      process.stderr.write(`revoked key ${id}\n`);
    });
  return keys;
}
