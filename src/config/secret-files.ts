// Secrets given as files (Docker secrets): <NAME>_FILE for a variable, `<option>File` for a
// provider option. The file's content is the value; its trailing newline is not.
import fs from 'node:fs';
import { ConfigError } from '../domain/errors';

type Env = Record<string, string | undefined>;

function readSecretFile(file: string, what: string): string {
  try {
    // Secret files usually end with a newline that is not part of the value.
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new ConfigError(`config: ${what}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The environment with every <NAME>_FILE Herald knows replaced by <NAME> holding the file's content. */
export function resolveFileVariants(env: Env, names: string[]): Env {
  const out: Env = { ...env };
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '') throw new ConfigError(`config: set ${name} or ${name}_FILE, not both`);
    out[name] = readSecretFile(file, `${name}_FILE`);
  }
  return out;
}

/** Provider options given as `<option>File` (a path) get `<option>` from that file: keys and tokens as secrets. */
export function resolveOptionFiles(providers: { id: string; options: Record<string, unknown> }[]): void {
  for (const p of providers) {
    for (const [k, v] of Object.entries(p.options)) {
      if (!k.endsWith('File') || k.length === 4 || typeof v !== 'string') continue;
      const name = k.slice(0, -4);
      if (p.options[name] !== undefined) throw new ConfigError(`config: provider '${p.id}': set option '${name}' or '${k}', not both`);
      p.options[name] = readSecretFile(v, `provider '${p.id}' option '${k}'`);
      delete p.options[k];
    }
  }
}
