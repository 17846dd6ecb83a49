// `herald all` with its senders in worker threads (worker.senderThreads): SMS and email go out end
// to end, /metrics of the process counts the threads' sends, `herald outbox` lists them, SIGTERM
// drains the threads and exits 0, and kill -9 mid-send with two sender threads loses nothing and
// sends nothing twice, and a sender thread that dies stops the process with exit code 1.
import { readOutbox } from '../../src/providers/outbox-file';
import { createSqliteStore } from '../../src/store/sqlite';
import path from 'node:path';
import { freePort } from '../support/processes';
import { parseMetrics } from '../support/metrics';
import { eventually, tempDir } from '../support/herald';
import { embeddedEnv, runHerald, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(180_000);

const USERS = 30;
const phone = (i: number) => `+2547001${String(i).padStart(5, '0')}`;

async function seed(dataDir: string): Promise<void> {
  const s = createSqliteStore(`${dataDir}/herald.db`);
  await s.connect();
  await s.programs.create('default', { id: '1', name: 'Drive' });
  await s.eventTypes.create('default', {
    id: '1', programId: '1', name: 'Session',
    templates: { sms: { text: 'Hi {{user.name}}' }, email: { subject: 'Session', text: 'Dear {{user.name}}' } },
  });
  for (let i = 0; i < USERS; i++) {
    const id = `u${String(i).padStart(3, '0')}`;
    await s.users.create('default', { id, name: id, phone: phone(i), email: `${id}@example.org` });
    await s.subscriptions.create('default', { id: `s-${id}`, userId: id, programId: '1', channels: ['sms', 'email'] });
  }
  await s.close();
}

async function post(url: string, k: number): Promise<string> {
  const r = await fetch(`${url}/v1/notifications`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ programId: '1', eventTypeId: '1', startTime: new Date().toISOString(), data: { k } }),
  });
  expect(r.status).toBe(202);
  return ((await r.json()) as { id: string }).id;
}

const outboxLines = (dataDir: string) => [...readOutbox(dataDir, 'sms'), ...readOutbox(dataDir, 'email')];

describe('herald all with sender threads', () => {
  let herald: LongRunning | undefined;
  afterEach(async () => {
    if (herald) await stopChild(herald, 'SIGKILL');
    herald = undefined;
  });

  it('sends SMS and email from its thread, shows them in /metrics and herald outbox, and drains on SIGTERM', async () => {
    const dataDir = tempDir('herald-threads-');
    await seed(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = embeddedEnv(dataDir, { DISPATCH_PORT: String(port), HERALD_SENDER_THREADS: '1' });
    herald = await startHeraldChild(['all'], env);
    // The start-up line may reach stdout a moment after the banner the start waited for.
    await eventually('the start-up line naming one sender thread', () => /"senderThreads":1/.test(herald!.output()), 10_000);

    const id = await post(url, 1);
    await eventually('every message in the outbox', () => outboxLines(dataDir).length >= 2 * USERS, 60_000);
    await eventually('every message recorded sent', async () => {
      const s = createSqliteStore(`${dataDir}/herald.db`);
      await s.connect();
      try {
        return (await s.messages.countByStatus(id)).sent === 2 * USERS;
      } finally {
        await s.close();
      }
    }, 30_000, 200);

    // The process's /metrics holds the thread's sends, its own queue depths, and its process metrics once.
    const samples = parseMetrics(await (await fetch(`${url}/metrics`)).text());
    const value = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
    expect(value('herald_messages_total', { channel: 'sms', status: 'sent' })).toBe(USERS);
    expect(value('herald_messages_total', { channel: 'email', status: 'sent' })).toBe(USERS);
    expect(value('herald_provider_call_seconds_count', { channel: 'sms', outcome: 'ok' })).toBe(USERS);
    expect(samples.filter((s) => s.name === 'herald_queue_depth' && s.labels.queue === 'sms')).toHaveLength(1);
    expect(samples.filter((s) => s.name === 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(samples.find((s) => s.name === 'herald_circuit_state' && s.labels.channel === 'sms')?.value).toBe(0);

    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.providers).toBe('up');

    const listed = await runHerald(['outbox', '--json', '--notification', id], { ...env, HERALD_URL: url });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toHaveLength(2 * USERS);

    // The thread's lines: on stdout, named after it, masked like every other line.
    const out = herald.output();
    expect(out).toMatch(/"message":"message handed to provider"[^\n]*"process":"herald-all"[^\n]*"thread":"sender-1"/);
    for (let i = 0; i < USERS; i++) expect(out).not.toContain(phone(i));

    const stopped = await stopChild(herald, 'SIGTERM');
    const text = herald.output();
    herald = undefined;
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    expect(text).toMatch(/"message":"sender thread stopped"/);
    expect(text).toMatch(/"message":"herald stopped"/);
  });

  it('with two sender threads, kill -9 mid-send loses nothing and sends nothing twice', async () => {
    const dataDir = tempDir('herald-threads-kill-');
    await seed(dataDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = embeddedEnv(dataDir, { DISPATCH_PORT: String(port), HERALD_SENDER_THREADS: '2', HERALD_LEASE_MS: '500', HERALD_DISPATCH_BATCH: '5', LOG_LEVEL: 'warn' });
    herald = await startHeraldChild(['all'], env);
    const ids = [await post(url, 1), await post(url, 2), await post(url, 3)];
    const expected = new Set(ids.flatMap((n) => Array.from({ length: USERS }, (_, i) => `u${String(i).padStart(3, '0')}`).flatMap((u) => [`${n}:${u}:sms`, `${n}:${u}:email`])));
    for (const fraction of [0.4]) {
      await eventually(`${fraction * 100}% in the outbox`, () => outboxLines(dataDir).length >= expected.size * fraction, 60_000, 5);
      await stopChild(herald, 'SIGKILL');
      herald = await startHeraldChild(['all'], env);
    }
    await eventually('every message in the outbox', () => new Set(outboxLines(dataDir).map((l) => l.messageId)).size >= expected.size, 120_000);
    await eventually('every message sent', async () => {
      const s = createSqliteStore(`${dataDir}/herald.db`);
      await s.connect();
      try {
        let sent = 0;
        for (const n of ids) sent += (await s.messages.countByStatus(n)).sent ?? 0;
        return sent === expected.size;
      } finally {
        await s.close();
      }
    }, 60_000, 200);
    expect((await stopChild(herald, 'SIGTERM')).code).toBe(0);
    herald = undefined;
    const seen = new Map<string, number>();
    for (const l of outboxLines(dataDir)) seen.set('part' in l ? `${l.messageId}#${l.part}` : l.messageId, (seen.get('part' in l ? `${l.messageId}#${l.part}` : l.messageId) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    expect(new Set(outboxLines(dataDir).map((l) => l.messageId))).toEqual(expected);
  });

  it('exits 1 when its sender thread dies, so a supervisor restarts it (never a process that accepts and does not send)', async () => {
    const dataDir = tempDir('herald-threads-crash-');
    const port = await freePort();
    const crash = path.join(__dirname, '..', 'support', 'crash-sender-thread.js');
    herald = await startHeraldChild(['all'], embeddedEnv(dataDir, { DISPATCH_PORT: String(port), HERALD_SENDER_THREADS: '1', NODE_OPTIONS: `--require ${crash}` }));
    const exit = await herald.exited;
    const out = herald.output();
    herald = undefined;
    expect(exit.code).toBe(1);
    expect(out).toMatch(/"message":"sender thread ended unexpectedly; this process no longer sends"[^\n]*"thread":"sender-1"/);
  });
});
