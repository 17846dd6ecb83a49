// `herald keys create|list|revoke`: a client of /v1/workspaces/:id/keys (needs an admin key).
import { Command, InvalidArgumentError } from 'commander';
import { ROLES, type Role } from '../domain/types';
import { createApiClient, withClientOptions, type ApiClient, type ClientOptions } from './client';
import { jsonLine, out, table } from './output';

interface KeyRecord {
  id: string;
  role: Role;
  name: string;
  prefix: string;
  key?: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

const keysPath = (workspace: string) => `/v1/workspaces/${encodeURIComponent(workspace)}/keys`;

const roleArg = (v: string): Role => {
  if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
  return v as Role;
};

export async function listKeys(api: ApiClient, workspace: string): Promise<KeyRecord[]> {
  const all: KeyRecord[] = [];
  for (let offset = 0; ; offset += 500) {
    const page = await api.get<{ items: KeyRecord[]; total: number }>(keysPath(workspace), { limit: 500, offset });
    all.push(...page.items);
    if (all.length >= page.total || page.items.length === 0) return all;
  }
}

type Options = ClientOptions & { workspace: string };

/** The `keys` command with its three subcommands. */
export function keysCommand(): Command {
  const keys = new Command('keys').description("manage a workspace's API keys over the API (needs an admin key)");
  const sub = (name: string, description: string) =>
    withClientOptions(keys.command(name).description(description)).option('-w, --workspace <id>', 'the workspace', 'default');

  sub('create', 'create a key; prints it once on stdout, what it is on stderr')
    .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')}`, roleArg)
    .requiredOption('-n, --name <name>', 'what the key is for')
    .action(async (o: Options & { role: Role; name: string }) => {
      const k = await createApiClient(o).post<KeyRecord>(keysPath(o.workspace), { role: o.role, name: o.name });
      process.stderr.write(`created key ${k.id} (${k.role}, "${k.name}") in workspace ${o.workspace}; it is not shown again\n`);
      out(k.key ?? '');
    });
  sub('list', 'list the keys: id, role, name, prefix, last use, revocation')
    .option('--json', 'print JSON lines')
    .action(async (o: Options & { json?: boolean }) => {
      const list = await listKeys(createApiClient(o), o.workspace);
      if (o.json) return list.forEach((k) => jsonLine(k));
      const t = table(['id', 'role', 'name', 'prefix', 'last used', 'revoked']);
      for (const k of list) t.push([k.id, k.role, k.name, k.prefix, k.lastUsedAt ?? '-', k.revokedAt ?? '-']);
      out(t.toString());
    });
  sub('revoke', 'revoke a key: it is refused from now on')
    .argument('<keyId>', 'the key id (see keys list)')
    .action(async (id: string, o: Options) => {
      await createApiClient(o).delete(`${keysPath(o.workspace)}/${encodeURIComponent(id)}`);
      process.stderr.write(`revoked key ${id}\n`);
    });
  return keys;
}
