// The `herald` command line as a user runs it: child processes against an embedded data folder
// with `herald all` running beside them. Errors are one line on stderr and a non-zero exit.
import { freePort } from '../support/processes';
import { eventually, tempDir } from '../support/herald';
import { readOutbox } from '../../src/providers/outbox-file';
import { embeddedEnv, runHerald, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(120_000);

const COMMANDS = ['server', 'worker', 'all', 'seed', 'outbox', 'logs', 'send', 'status'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('herald command line', () => {
  let env: Record<string, string>;
  let dataDir: string;
  let herald: LongRunning | undefined;
  let id: string;
  const herald$ = (...args: string[]) => runHerald(args, env);

  beforeAll(async () => {
    dataDir = tempDir('herald-cli-');
    env = embeddedEnv(dataDir, { DISPATCH_PORT: String(await freePort()), HERALD_SEED_DEMO: 'embedded' });
    herald = await startHeraldChild(['all'], env);
  });
  afterAll(async () => {
    if (herald) await stopChild(herald, 'SIGTERM');
  });

  it('--help lists every command on one line each', async () => {
    const r = await herald$('--help');
    expect(r.code).toBe(0);
    const section = r.stdout.split('Commands:\n')[1];
    const lines = section.split('\n').filter((l) => l.trim() !== '');
    // One line per command (plus commander's own `help`): no description wraps onto a second line.
    expect(lines.map((l) => l.trim().split(/\s+/)[0])).toEqual([...COMMANDS, 'help']);
    for (const l of lines) expect(l).toMatch(/^ {2}\S.*\s{2,}\S/);
  });

  it('send prints the new notification id, and the outbox receives its messages', async () => {
    const r = await herald$('send', '--program', '1', '--event-type', '1', '--data', '{"venue":"Hall"}');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    id = r.stdout.trim();
    expect(id).toMatch(UUID);
    await eventually('messages in the outbox', () =>
      [...readOutbox(dataDir, 'sms'), ...readOutbox(dataDir, 'email')].some((e) => e.messageId.startsWith(`${id}:`)),
    20_000);
  });

  it('status prints the notification and its messages as a table', async () => {
    const r = await eventually('every message of the demo users sent', async () => {
      const s = await herald$('status', id);
      return s.code === 0 && !/queued|accepted|sending/.test(s.stdout) && s.stdout.includes('│') ? s : undefined;
    }, 20_000, 300);
    expect(r.stdout).toContain(`notification ${id}`);
    expect(r.stdout).toMatch(/program 1, event type 1/);
    expect(r.stdout).toMatch(/user\s*│\s*channel\s*│\s*to\s*│\s*status/);
    const rows = r.stdout.split('\n').filter((l) => / (sms|email) /.test(l) && l.includes('│'));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) expect(row).toMatch(/│ sent\s*│/);
  });

  it('outbox prints the entries readably', async () => {
    const r = await herald$('outbox');
    expect(r.code).toBe(0);
    const sms = readOutbox(dataDir, 'sms');
    expect(sms.length).toBeGreaterThan(0);
    expect(r.stdout).toContain(`SMS   to ${sms[0].to}`);
    expect(r.stdout).toContain(sms[0].text);
    expect(r.stdout).toMatch(/EMAIL to \S+@\S+\n {2}Subject: /);
    const json = await herald$('outbox', '--json', '--channel', 'sms');
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l).messageId)).toEqual(sms.map((e) => e.messageId));
  });

  it('logs --notification prints only that notification\'s lines', async () => {
    const r = await eventually('log lines of the notification', async () => {
      const x = await herald$('logs', '--notification', id);
      return x.code === 0 && x.stdout.includes('message handed to provider') ? x : undefined;
    }, 20_000, 300);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).toContain(`n=${id}`);
  });

  it('logs shows the latest lines, oldest of them first', async () => {
    const all = (await herald$('logs', '--json', '--limit', '100000')).stdout.trim().split('\n').map((l) => JSON.parse(l).seq as number);
    expect(all.length).toBeGreaterThan(5);
    const last = (await herald$('logs', '--json', '--limit', '3')).stdout.trim().split('\n').map((l) => JSON.parse(l).seq as number);
    expect(last).toHaveLength(3);
    expect(last).toEqual([...last].sort((a, b) => a - b));
    // The newest lines at the time: at or after the end of the full listing (more may have been written since).
    expect(last[0]).toBeGreaterThanOrEqual(all[all.length - 3]);
  });

  it.each([
    [['status', 'no-such-id'], /^herald: notification 'no-such-id' not found$/],
    [['send', '--program', '1', '--event-type', '1', '--start', 'tomorrowish'], /^herald: --start must be an ISO 8601 time$/],
    [['send', '--program', 'nope', '--event-type', '1'], /^herald: program 'nope' not found$/],
    [['frobnicate'], /^herald: unknown command 'frobnicate'/],
    [['logs', '--level', 'loud'], /^herald: --level must be error, warn, info or debug$/],
    [['worker', 'fax'], /^herald: .*must be sms or email/],
  ])('herald %j fails with one line and a non-zero exit', async (args, message) => {
    const r = await herald$(...args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });
});
