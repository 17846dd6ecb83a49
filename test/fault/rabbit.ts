// rabbitmqctl for fault tests: force-close only this installation's connections (they are named
// `herald:<prefix>`), so test files running in parallel on the same broker are not disturbed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Pids of the broker connections whose client named itself `herald:<prefix>`. */
export async function connectionsOf(prefix: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', '-q', 'pid', 'client_properties'], { timeout: 30_000 });
  const name = `{"connection_name","herald:${prefix}"}`;
  return stdout
    .split('\n')
    .filter((line) => line.includes(name))
    .map((line) => line.split('\t')[0])
    .filter((pid) => pid.startsWith('<'));
}

/** Closes them all (as a broker restart or a network cut would); resolves how many were closed. */
export async function closeConnectionsOf(prefix: string): Promise<number> {
  const pids = await connectionsOf(prefix);
  await Promise.all(pids.map((pid) => run('rabbitmqctl', ['close_connection', pid, 'herald fault test: connection force-closed'], { timeout: 30_000 })));
  return pids.length;
}
