// Issue 3: on the embedded default, a notification that got 202 survives kill -9 of the process at
// any moment and is delivered after restart, once. Kill points: right after the 202s, mid fan-out,
// and several times mid-send; then the outbox files hold every (notification, user, channel) once.
import { readOutbox } from '../../src/providers/outbox-file';
import { create as smsOutbox } from '../../src/providers/sms/outbox';
import { create as emailOutbox } from '../../src/providers/email/outbox';
import { createSqliteStore } from '../../src/store/sqlite';
import { freePort } from '../support/processes';
import { eventually, tempDir } from '../support/herald';
import { embeddedEnv, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(240_000);

const USERS = 120;
const NOTIFICATIONS = 4;
/** u000.. : every third user on SMS, email, or both. */
const channelsOf = (i: number) => (i % 3 === 0 ? (['sms'] as const) : i % 3 === 1 ? (['email'] as const) : (['sms', 'email'] as const));

describe('embedded store and queue: kill -9 at any moment', () => {
  let herald: LongRunning | undefined;
  afterAll(async () => {
    if (herald) await stopChild(herald, 'SIGKILL');
  });

  it('delivers every accepted notification to every subscriber once across kills', async () => {
    const dataDir = tempDir('herald-durable-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = embeddedEnv(dataDir, { DISPATCH_PORT: String(port), HERALD_LEASE_MS: '500', HERALD_DISPATCH_BATCH: '5', LOG_LEVEL: 'warn' });
    const seed = createSqliteStore(`${dataDir}/herald.db`);
    await seed.connect();
    await seed.programs.create('default', { id: '1', name: 'Drive' });
    await seed.eventTypes.create('default', {
      id: '1', programId: '1', name: 'Session',
      templates: { sms: { text: 'Hi {{user.name}}' }, email: { subject: 'Session', text: 'Dear {{user.name}}' } },
    });
    const expected = new Set<string>();
    for (let i = 0; i < USERS; i++) {
      const id = `u${String(i).padStart(3, '0')}`;
      await seed.users.create('default', { id, name: id, phone: `+2547000${String(i).padStart(5, '0')}`, email: `${id}@example.org` });
      await seed.subscriptions.create('default', { id: `s-${id}`, userId: id, programId: '1', channels: [...channelsOf(i)] });
    }
    await seed.close();

    const lines = () => [...readOutbox(dataDir, 'sms'), ...readOutbox(dataDir, 'email')];
    const killAt = async (what: string, ready: () => boolean | Promise<boolean>) => {
      await eventually(what, ready, 60_000, 5);
      const r = await stopChild(herald!, 'SIGKILL');
      expect(r.signal).toBe('SIGKILL');
      herald = undefined;
    };

    // 1. Right after the 202s.
    herald = await startHeraldChild(['all'], env);
    const ids: string[] = [];
    for (let k = 0; k < NOTIFICATIONS; k++) {
      const r = await fetch(`${url}/v1/notifications`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ programId: '1', eventTypeId: '1', startTime: new Date().toISOString(), data: { k } }),
      });
      expect(r.status).toBe(202);
      ids.push(((await r.json()) as { id: string }).id);
    }
    await stopChild(herald, 'SIGKILL');
    herald = undefined;
    for (const n of ids) for (let i = 0; i < USERS; i++) for (const c of channelsOf(i)) expected.add(`${n}:u${String(i).padStart(3, '0')}:${c}`);

    // 2. Mid fan-out: some messages exist, not all yet.
    const messagesStored = async () => {
      const s = createSqliteStore(`${dataDir}/herald.db`);
      await s.connect();
      try {
        let n = 0;
        for (const id of ids) n += Object.values(await s.messages.countByStatus(id)).reduce((a, b) => a + (b ?? 0), 0);
        return n;
      } finally {
        await s.close();
      }
    };
    herald = await startHeraldChild(['all'], env);
    await killAt('fan-out under way', async () => (await messagesStored()) > 0);
    const afterFanOutKill = await messagesStored();

    // 3. Mid-send, three times: the outbox is growing when the process dies.
    for (const fraction of [0.2, 0.45, 0.7]) {
      herald = await startHeraldChild(['all'], env);
      await killAt(`${fraction * 100}% in the outbox`, () => lines().length >= expected.size * fraction);
    }

    // 4. Restart and let it finish.
    herald = await startHeraldChild(['all'], env);
    await eventually('every message in the outbox', () => new Set(lines().map((l) => l.messageId)).size >= expected.size, 120_000, 100);
    await eventually('every message sent', async () => {
      const s = createSqliteStore(`${dataDir}/herald.db`);
      await s.connect();
      try {
        let sent = 0;
        for (const id of ids) sent += (await s.messages.countByStatus(id)).sent ?? 0;
        return sent === expected.size;
      } finally {
        await s.close();
      }
    }, 60_000, 200);
    await stopChild(herald, 'SIGTERM');
    herald = undefined;

    const seen = new Map<string, number>();
    for (const l of lines()) {
      const key = 'part' in l ? `${l.messageId}#${l.part}` : l.messageId;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const duplicates = [...seen].filter(([, n]) => n > 1);
    process.stdout.write(`durability: ${expected.size} messages; fan-out killed at ${afterFanOutKill}; duplicates ${duplicates.length}\n`);
    expect(duplicates).toEqual([]);
    expect(new Set(lines().map((l) => l.messageId))).toEqual(expected);
  });

  it('outbox providers write a message (part) once, even when asked again by a retry or another process', async () => {
    const dataDir = tempDir('herald-outbox-once-');
    const ctx = { dataDir };
    const sms = smsOutbox({ id: 'o', type: 'outbox', channel: 'sms', options: {} }, ctx);
    const otherProcess = smsOutbox({ id: 'o', type: 'outbox', channel: 'sms', options: {} }, ctx);
    const email = emailOutbox({ id: 'o', type: 'outbox', channel: 'email', options: {} }, ctx);
    const validUntil = new Date(Date.now() + 60_000);
    const first = await sms.send({ messageId: 'm1', part: 0, to: '+254700000001', text: 'a', validUntil });
    const part2 = await sms.send({ messageId: 'm1', part: 1, to: '+254700000001', text: 'b', validUntil });
    expect(await otherProcess.send({ messageId: 'm1', part: 0, to: '+254700000001', text: 'a', validUntil })).toEqual(first);
    expect(await sms.send({ messageId: 'm1', part: 1, to: '+254700000001', text: 'b', validUntil })).toEqual(part2);
    const mail = await email.send({ messageId: 'm2', to: 'a@example.org', subject: 's', text: 't', validUntil });
    expect(await email.send({ messageId: 'm2', to: 'a@example.org', subject: 's', text: 't', validUntil })).toEqual(mail);
    expect(readOutbox(dataDir, 'sms').map((e) => `${e.messageId}#${e.part}`)).toEqual(['m1#0', 'm1#1']);
    expect(readOutbox(dataDir, 'email')).toHaveLength(1);
  });
});
