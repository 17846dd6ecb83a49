// `herald`: one executable for every process and the operator's tools. Processes and `seed`
// work on local files; status, logs, outbox and send are clients of a running Herald's API.
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type HeraldConfig } from '../config';
import type { Role, RunningHerald } from '../runtime';
import { createApiClient, withClientOptions, type ClientOptions } from './client';
import { logsCommand } from './logs';
import { outboxCommand } from './outbox';
import { sendCommand } from './send';
import { statusCommand } from './status';
import { usageCommand, type UsageOptions } from './usage';
import { keysCommand } from './keys';
import { importCommand, sendScheduledCommand } from './import';

function config(): HeraldConfig {
  return loadConfig();
}

async function run(role: Role): Promise<void> {
  // Loaded on demand (require, as in providers/registry.ts: import() would go through the ESM
  // loader under tsx): the client commands start faster without the server's modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startHerald } = require('../runtime') as typeof import('../runtime');
  let herald: RunningHerald | undefined;
  /** Why this process ends (first one wins): a signal exits 0 after a drain, a dead sender thread 1. */
  let ending: { signal?: string; code: number } | undefined;
  const finish = (): void => {
    if (!herald || !ending) return;
    const { signal, code } = ending;
    if (signal) herald.logger.info('signal received; shutting down gracefully', { signal });
    herald.stop().then(
      () => process.exit(code),
      (e) => {
        process.stderr.write(`herald: shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  // Set before start-up: a thread that dies while the others start is acted on once start-up returns.
  const end = (why: { signal?: string; code: number }): void => {
    // A signal during start-up ends the process at once, as before (a start-up that hangs must stay stoppable).
    if (!herald && why.signal) process.exit(why.signal === 'SIGINT' ? 130 : 143);
    if (ending) return;
    ending = why;
    finish();
  };
  process.on('SIGTERM', () => end({ signal: 'SIGTERM', code: 0 }));
  process.on('SIGINT', () => end({ signal: 'SIGINT', code: 0 }));
  // A sender thread that died would leave a process that accepts but never sends: stop and exit non-zero, for a supervisor to restart it.
  herald = await startHerald({ role, config: config(), banner: true, onSenderThreadDeath: () => end({ code: 1 }) });
  finish();
}

/** package.json's version; the same file sits two folders up from src/cli and dist/cli. */
function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs a client command and exits with the code it resolves (non-zero: something failed). */
function client<O extends ClientOptions>(fn: (o: O) => Promise<number | void>) {
  return async (o: O) => {
    const code = await fn(o);
    if (typeof code === 'number' && code !== 0) process.exitCode = code;
  };
}

const positiveInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return Number(v);
};

const channelArg = (v: string) => {
  if (v !== 'sms' && v !== 'email') throw new InvalidArgumentError('must be sms or email');
  return v as 'sms' | 'email';
};

const workerArg = (v: string) => {
  if (v !== 'sms' && v !== 'email' && v !== 'sheets') throw new InvalidArgumentError('must be sms, email or sheets');
  return v as 'sms' | 'email' | 'sheets';
};

export function buildProgram(): Command {
  const program = new Command('herald')
    .description('Herald: a self-hostable multi-channel notification dispatcher')
    .version(version(), '-V, --version', 'print the version')
    // One line per command in --help, however narrow the terminal (or a pipe).
    .configureHelp({ helpWidth: 200 })
    // Usage errors as one line, like every other error: `herald: <what> (see herald --help)`.
    .configureOutput({ outputError: (s, write) => write(`herald: ${s.trim().replace(/^error: /, '')} (see herald --help)\n`) });

  program.command('server').description('run the dispatch HTTP server, RabbitMQ intake, fan-out and scheduler').action(() => run('server'));
  program
    .command('worker')
    .description('run a channel worker that hands messages to providers, or the Google Sheets exporter')
    .argument('<kind>', 'sms, email or sheets', workerArg)
    .action((kind: 'sms' | 'email' | 'sheets') => run(kind));
  program.command('all').description('run everything in one process (the embedded default when no MONGODB_URI/AMQP_URL)').action(() => run('all'));
  program.command('seed').description('load the demo data into the local store (program 1, event type "1", demo users)').action(() => (require('./local') as typeof import('./local')).seedCommand(config()));
  withClientOptions(program.command('outbox'))
    .description('print what the outbox providers sent: message and notification ids, text')
    .option('-f, --follow', 'keep printing new entries')
    .option('-n, --notification <id>', 'only messages of this notification')
    .option('-c, --channel <channel>', 'only sms or email', channelArg)
    .option('--json', 'print JSON lines')
    .action(client((o) => outboxCommand(createApiClient(o), o)));
  withClientOptions(program.command('logs'))
    .description('read the consolidated log of every Herald process')
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --notification <id>', 'only lines about this notification')
    .option('-m, --message <id>', 'only lines about this message')
    .option('-l, --level <level>', 'minimum level: error, warn, info, debug')
    .option('-p, --process <name>', 'only lines from this process')
    .option('--since <time>', 'only lines at or after this ISO 8601 time')
    .option('--until <time>', 'only lines at or before this ISO 8601 time')
    .option('-g, --grep <text>', 'only lines whose message contains this text (any case)')
    .option('--limit <n>', 'lines to print before following', positiveInt('--limit'), 200)
    .option('--json', 'print JSON lines')
    .action(client((o) => logsCommand(createApiClient(o), o)));
  withClientOptions(program.command('send'))
    .description('post a notification event, print its id and the accepted line')
    .option('--program <id>', 'program id')
    .option('--event-type <id>', 'event type id')
    .option('--start <time>', 'window start, ISO 8601 (default: now)')
    .option('--end <time>', 'window end, ISO 8601 (omit for an open window)')
    .option('--data <json>', 'event data as a JSON object')
    .option('--file <path>', 'read the event (the /v1 JSON body) from a file; flags override it')
    .option('-w, --wait', 'follow it until every message is done; non-zero exit if any failed')
    .option('--json', 'print the answer as JSON')
    .action(client((o) => sendCommand(createApiClient(o), o)));
  withClientOptions(program.command('status'))
    .description('show a notification, its messages and their warnings')
    .argument('<id>', 'notification id')
    .option('-w, --watch', 'redraw until every message is done; non-zero exit if any failed')
    .option('--limit <n>', 'messages to list', positiveInt('--limit'), 50)
    .option('--json', 'print JSON')
    .action((id: string, o) => client((x: typeof o) => statusCommand(createApiClient(x), id, x))(o));
  withClientOptions(program.command('usage'))
    .description('print usage over an interval (GET /v1/usage) as a table, or CSV with --csv')
    .requiredOption('--start <time>', 'ISO 8601 date or date-time (read in --tz without an offset)')
    .requiredOption('--end <time>', 'exclusive end')
    .requiredOption('--every <step>', 'Nhour, Nday, 1week or 1month')
    .option('--tz <zone>', 'IANA zone for bucket boundaries (default UTC)')
    .option('--channel <channel>', 'only sms or email', channelArg)
    .option('--provider <id>', 'only this provider instance')
    .option('--program <id>', "one program's usage")
    .option('--user <id>', "one recipient's usage")
    .option('--csv', 'write CSV instead of a table')
    .action(client((o: UsageOptions) => usageCommand(createApiClient(o), o)));
  withClientOptions(program.command('import'))
    .description('import campaigns from a CSV file (message, recepient_nos, campaign, sending_time) and print the report')
    .argument('<file>', 'the CSV file')
    .option('--dry-run', 'check the file and report, write nothing')
    .option('--provider <name>', 'send these campaigns through this provider (nexmo and at are aliases of vonage and africastalking)')
    .option('--skip-errors', 'import the good rows when some are rejected (default: one bad row rejects the file)')
    .option('--json', 'print the import as JSON')
    .action((file: string, o) => client((x: typeof o) => importCommand(createApiClient(x), file, x))(o));
  withClientOptions(program.command('send-scheduled'))
    .description('send the scheduled campaigns whose time has come, now')
    .option('--provider <name>', 'through this provider (nexmo and at are aliases of vonage and africastalking)')
    .option('--json', 'print JSON')
    .action(client((o: ClientOptions & { provider?: string; json?: boolean }) => sendScheduledCommand(createApiClient(o), o)));
  program.addCommand(keysCommand());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `herald outbox | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`herald: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv);
