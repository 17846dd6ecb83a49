// The `herald` command line as a user runs it: `herald all` running on its own data folder,
// and the client commands as child processes in ANOTHER directory, output piped, reaching the
// server only through HERALD_URL. Errors are one line on stderr and a non-zero exit.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { freePort } from '../support/processes';
import { eventually, tempDir } from '../support/herald';
import { ROOT, embeddedEnv, runHerald, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(120_000);

const COMMANDS = ['server', 'worker', 'all', 'seed', 'outbox', 'logs', 'send', 'status', 'usage', 'import', 'send-scheduled', 'keys'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ANSI = /\x1b\[/;

describe('herald command line', () => {
  let url: string;
  let herald: LongRunning | undefined;
  let elsewhere: string;
  let id: string;
  /** The client's whole environment: PATH and where Herald is; nothing about its data folder. */
  const clientEnv = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HERALD_URL: url, ...extra });
  const herald$ = async (...args: string[]) => {
    const r = await runHerald(args, clientEnv(), 30_000, elsewhere);
    expect(`${args.join(' ')}: ${ANSI.test(r.stdout + r.stderr) ? 'colour codes in piped output' : 'plain'}`).toBe(`${args.join(' ')}: plain`);
    return r;
  };
  const api = async (method: string, p: string, body?: unknown) =>
    (await fetch(url + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    elsewhere = tempDir('herald-cli-cwd-');
    herald = await startHeraldChild(['all'], embeddedEnv(tempDir('herald-cli-'), { DISPATCH_PORT: String(port), HERALD_SEED_DEMO: 'embedded' }));
  });
  afterAll(async () => {
    if (herald) await stopChild(herald, 'SIGTERM');
  });

  it('--help lists every command on one line each; --version and -V print the version', async () => {
    const r = await herald$('--help');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('Commands:\n')[1].split('\n').filter((l) => l.trim() !== '');
    expect(lines.map((l) => l.trim().split(/\s+/)[0])).toEqual([...COMMANDS, 'help']);
    for (const l of lines) expect(l).toMatch(/^ {2}\S.*\s{2,}\S/);
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
    for (const flag of ['--version', '-V']) expect(await herald$(flag)).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('send prints the id and the accepted line, from another directory, without touching it', async () => {
    const r = await herald$('send', '--program', '1', '--event-type', '1', '--data', '{"venue":"Hall"}');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [first, second] = r.stdout.trim().split('\n');
    id = first;
    expect(id).toMatch(UUID);
    expect(second).toMatch(new RegExp(`^accepted: notification ${id} accepted, window \\S+ \\.\\. \\(open, valid until \\S+\\)$`));
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('status --watch redraws until every message is done, exits 0, then lists message ids with their warnings', async () => {
    const r = await herald$('status', id, '--watch');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[#+\] 6\/6 done\n/);
    expect(r.stdout).toContain(`notification ${id}`);
    expect(r.stdout).toMatch(/program 1, event type 1, dispatched/);
    expect(r.stdout).toMatch(/message\s*│\s*channel\s*│\s*to\s*│\s*status\s*│\s*provider\s*│\s*attempts\s*│\s*warnings/);
    for (const m of (await api('GET', `/v1/notifications/${id}/messages`)).items) expect(r.stdout).toMatch(new RegExp(`│ ${m.id}\\s*│ ${m.channel}\\s*│ \\S+\\s*│ sent\\s*│`));
    const json = JSON.parse((await herald$('status', id, '--json')).stdout);
    expect(json.notification.counts).toEqual({ sent: 6 });
    expect(json.messages.map((m: { warnings: string[] }) => m.warnings)).toEqual(Array(6).fill([]));
  });

  it('send --wait follows a notification to the end and exits non-zero when a message failed, naming why', async () => {
    // A user with an email only, subscribed over SMS too: the SMS is rejected (no phone).
    await api('POST', '/v1/programs', { id: 'cli', name: 'CLI' });
    await api('POST', '/v1/programs/cli/event-types', { id: 'e', name: 'E', templates: { sms: { text: 'Hi' }, email: { subject: 'Hi', text: 'Hi' } } });
    await api('POST', '/v1/users', { id: 'no-phone', name: 'No Phone', email: 'np@example.org' });
    await api('POST', '/v1/subscriptions', { userId: 'no-phone', programId: 'cli', channels: ['sms', 'email'] });
    const r = await herald$('send', '--program', 'cli', '--event-type', 'e', '--wait');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/\] 2\/2 done/);
    expect(r.stdout).toMatch(/│ rejected\s*│/);
    const sms = (await api('GET', `/v1/notifications/${r.stdout.split('\n')[0]}/messages?channel=sms`)).items[0];
    expect(r.stdout).toContain(sms.error.code);
  });

  it('outbox shows message and notification ids, filters by --notification, prints --json', async () => {
    const r = await herald$('outbox', '--notification', id);
    expect(r.code).toBe(0);
    const entries = (await api('GET', `/v1/outbox?notificationId=${id}`)).items as Array<{ messageId: string; to: string; text: string; channel: string }>;
    expect(entries).toHaveLength(6);
    for (const e of entries) {
      expect(r.stdout).toContain(`${e.channel.toUpperCase().padEnd(5)} to ${e.to}`);
      expect(r.stdout).toContain(`message ${e.messageId}  notification ${id}`);
    }
    expect(r.stdout).toMatch(/EMAIL to \S+@\S+\n.*\n {2}Subject: /);
    const json = await herald$('outbox', '--json', '--channel', 'sms', '--notification', id);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l).messageId)).toEqual(entries.filter((e) => e.channel === 'sms').map((e) => e.messageId));
    expect((await herald$('outbox', '--notification', 'nothing-here')).stdout).toBe('the outbox is empty for notification nothing-here\n');
  });

  it('outbox --follow keeps printing what arrives until interrupted', async () => {
    const c = spawn(process.execPath, [path.join(ROOT, 'bin', 'herald.js'), 'outbox', '--follow', '--channel', 'sms'], { cwd: elsewhere, env: clientEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    await eventually('the existing entries', async () => out.includes(id), 15_000, 100);
    const next = (await api('POST', '/v1/notifications', { programId: 1, eventTypeId: '1', startTime: new Date().toISOString() })).id as string;
    await eventually('the new notification followed', async () => (out.match(new RegExp(`notification ${next}`, 'g')) ?? []).length === 3, 20_000, 100);
    c.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(ANSI.test(out)).toBe(false);
  });

  it('logs takes --notification, --grep, --level, --since/--until and --json, through GET /v1/logs', async () => {
    const r = await eventually('log lines of the notification', async () => {
      const x = await herald$('logs', '--notification', id);
      return x.code === 0 && x.stdout.includes('message handed to provider') ? x : undefined;
    }, 20_000, 300);
    for (const l of r.stdout.trim().split('\n')) expect(l).toContain(`n=${id}`);
    const handed = (await herald$('logs', '--notification', id, '--grep', 'HANDED TO', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(handed).toHaveLength(6);
    for (const l of handed) expect(l.message).toBe('message handed to provider');
    const until = new Date(handed[2].time).toISOString();
    const early = (await herald$('logs', '--notification', id, '--grep', 'handed', '--until', until, '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l).seq);
    expect(early).toEqual(handed.filter((l) => l.time <= until).map((l) => l.seq));
    expect((await herald$('logs', '--notification', id, '--level', 'warn')).stdout).toBe('');
    expect((await herald$('logs', '--since', '2099-01-01T00:00:00Z')).stdout).toBe('');
  });

  it('logs shows the latest lines, oldest of them first', async () => {
    const all = (await herald$('logs', '--json', '--limit', '100000')).stdout.trim().split('\n').map((l) => JSON.parse(l).seq as number);
    expect(all.length).toBeGreaterThan(5);
    const last = (await herald$('logs', '--json', '--limit', '3')).stdout.trim().split('\n').map((l) => JSON.parse(l).seq as number);
    expect(last).toHaveLength(3);
    expect(last).toEqual([...last].sort((a, b) => a - b));
    expect(last[0]).toBeGreaterThanOrEqual(all[all.length - 3]);
  });

  it('sends --key as Authorization: Bearer, HERALD_KEY likewise, to the --url given', async () => {
    const seen: Array<string | undefined> = [];
    const fake = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'API key not accepted' } }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    try {
      const a = await runHerald(['status', 'x', '--url', fakeUrl, '--key', 'hk_one'], clientEnv(), 30_000, elsewhere);
      const b = await runHerald(['logs'], clientEnv({ HERALD_URL: fakeUrl, HERALD_KEY: 'hk_two' }), 30_000, elsewhere);
      expect(seen).toEqual(['Bearer hk_one', 'Bearer hk_two']);
      for (const r of [a, b]) expect([r.code, r.stderr]).toEqual([1, 'herald: API key not accepted\n']);
    } finally {
      fake.close();
    }
  });

  it.each([
    [['status', 'no-such-id'], /^herald: notification 'no-such-id' not found$/],
    [['send', '--program', '1', '--event-type', '1', '--start', 'tomorrowish'], /^herald: --start must be an ISO 8601 time$/],
    [['send', '--program', 'nope', '--event-type', '1'], /^herald: .*programId program 'nope' does not exist$/],
    [['send', '--program', '1', '--event-type', '1', '--end', '2000-01-01T00:00:00Z'], /^herald: .*endTime must be after startTime/],
    [['frobnicate'], /^herald: unknown command 'frobnicate'/],
    [['logs', '--level', 'loud'], /^herald: --level must be error, warn, info or debug$/],
    [['logs', '--until', 'later'], /^herald: --until must be an ISO 8601 time$/],
    [['worker', 'fax'], /^herald: .*must be sms, email or sheets/],
  ])('herald %j fails with one line and a non-zero exit', async (args, message) => {
    const r = await herald$(...args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('says in one line how to start Herald when nothing answers at the URL', async () => {
    const port = await freePort();
    const r = await runHerald(['status', 'x'], clientEnv({ HERALD_URL: `http://127.0.0.1:${port}` }), 30_000, elsewhere);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`herald: cannot reach Herald at http://127.0.0.1:${port} (connection refused); is it running? Start one with \`herald all\`, or point --url / HERALD_URL at it\n`);
  });
});
