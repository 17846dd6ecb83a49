// `herald`: one executable for every process and the operator's tools.
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type HeraldConfig } from '../config';
import { startHerald, type Role } from '../runtime';
import { logsCommand, outboxCommand, seedCommand, sendCommand, statusCommand } from './commands';

function config(): HeraldConfig {
  return loadConfig();
}

async function run(role: Role): Promise<void> {
  const herald = await startHerald({ role, config: config(), banner: true });
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    herald.logger.info('signal received; shutting down gracefully', { signal });
    herald.stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`herald: shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const channelArg = (v: string) => {
  if (v !== 'sms' && v !== 'email') throw new InvalidArgumentError('must be sms or email');
  return v as 'sms' | 'email';
};

export function buildProgram(): Command {
  const program = new Command('herald')
    .description('Herald: a self-hostable multi-channel notification dispatcher')
    // One line per command in --help, however narrow the terminal (or a pipe).
    .configureHelp({ helpWidth: 200 })
    // Usage errors as one line, like every other error: `herald: <what> (see herald --help)`.
    .configureOutput({ outputError: (s, write) => write(`herald: ${s.trim().replace(/^error: /, '')} (see herald --help)\n`) });

  program.command('server').description('run the dispatch HTTP server, RabbitMQ intake, fan-out and scheduler').action(() => run('server'));
  program
    .command('worker')
    .description('run a channel worker that hands messages to providers')
    .argument('<channel>', 'sms or email', channelArg)
    .action((channel: 'sms' | 'email') => run(channel));
  program.command('all').description('run everything in one process (the embedded default when no MONGODB_URI/AMQP_URL)').action(() => run('all'));
  program.command('seed').description('load the demo data (program 1, event type "1", demo users)').action(() => seedCommand(config()));
  program
    .command('outbox')
    .description('print what the outbox providers sent (data/outbox/*.jsonl)')
    .option('-f, --follow', 'keep printing new entries')
    .option('-c, --channel <channel>', 'only sms or email', channelArg)
    .option('--json', 'print raw JSON lines')
    .action((o) => outboxCommand(config(), o));
  program
    .command('logs')
    .description('read the consolidated log of every Herald process')
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --notification <id>', 'only lines about this notification')
    .option('-m, --message <id>', 'only lines about this message')
    .option('-l, --level <level>', 'minimum level: error, warn, info, debug')
    .option('-p, --process <name>', 'only lines from this process')
    .option('--since <time>', 'only lines at or after this ISO 8601 time')
    .option('--limit <n>', 'lines to print before following', (v) => Number(v), 200)
    .option('--json', 'print raw JSON lines')
    .action((o) => logsCommand(config(), o));
  program
    .command('send')
    .description('post a notification event and print its id')
    .option('--program <id>', 'program id')
    .option('--event-type <id>', 'event type id')
    .option('--start <time>', 'window start, ISO 8601 (default: now)')
    .option('--end <time>', 'window end, ISO 8601 (omit for an open window)')
    .option('--data <json>', 'event data as a JSON object')
    .option('--file <path>', 'read the event (the /v1 JSON body) from a file; flags override it')
    .action((o) => sendCommand(config(), o));
  program
    .command('status')
    .description('show a notification and its messages as a table')
    .argument('<id>', 'notification id')
    .option('--limit <n>', 'messages to list', (v) => Number(v), 50)
    .action((id: string, o) => statusCommand(config(), id, o));
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
