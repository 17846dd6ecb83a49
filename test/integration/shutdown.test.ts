// SIGTERM while sends are in flight: Herald stops taking work, lets the sends it started finish
// (or hands them back), exits 0 within seconds; after a restart every message is sent exactly once.
import { freePort } from '../support/processes';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { createSqliteStore } from '../../src/store/sqlite';
import { eventually, tempDir } from '../support/herald';
import { embeddedEnv, startHeraldChild, stopChild, type LongRunning } from './herald-child';

jest.setTimeout(120_000);

const USERS = 50;

describe('graceful shutdown on SIGTERM', () => {
  let twilio: FakeTwilio;
  let herald: LongRunning | undefined;

  beforeAll(async () => {
    twilio = await startFakeTwilio();
  });
  afterAll(async () => {
    if (herald) await stopChild(herald, 'SIGKILL');
    await twilio?.close();
  });

  it('finishes in-flight sends, exits 0, and after a restart every message is sent exactly once', async () => {
    const dataDir = tempDir('herald-shutdown-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = embeddedEnv(dataDir, {
      DISPATCH_PORT: String(port),
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_API_URL: twilio.url,
      HERALD_PREFETCH: '10',
      HERALD_LEASE_MS: '2000',
    });
    const seed = createSqliteStore(`${dataDir}/herald.db`);
    await seed.connect();
    await seed.programs.create('default', { id: '1', name: 'Drive' });
    await seed.eventTypes.create('default', { id: '1', programId: '1', name: 'Session', templates: { sms: { text: 'Hi {{user.name}}' } } });
    for (let i = 0; i < USERS; i++) {
      const id = `u${String(i).padStart(3, '0')}`;
      await seed.users.create('default', { id, name: id, phone: `+2547000${String(i).padStart(5, '0')}` });
      await seed.subscriptions.create('default', { id: `s-${id}`, userId: id, programId: '1', channels: ['sms'] });
    }
    await seed.close();
    twilio.setLatency(300);

    herald = await startHeraldChild(['all'], env);
    const posted = await fetch(`${url}/v1/notifications`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ programId: '1', eventTypeId: '1', startTime: new Date().toISOString() }),
    });
    expect(posted.status).toBe(202);
    const { id } = (await posted.json()) as { id: string };
    await twilio.waitFor(5, 20_000);
    // Sends the fake Twilio took in but has not answered yet (it answers after 300 ms).
    const inFlight = () => twilio.received.filter((m) => Date.now() - m.at.getTime() < 250).length;
    expect(inFlight()).toBeGreaterThan(0);

    const stopped = await stopChild(herald, 'SIGTERM');
    herald = undefined;
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    expect(stopped.ms).toBeLessThan(5_000);
    const sentBeforeRestart = twilio.received.length;
    expect(sentBeforeRestart).toBeLessThan(USERS);

    const check = createSqliteStore(`${dataDir}/herald.db`);
    await check.connect();
    const counts = await check.messages.countByStatus(id);
    await check.close();
    // Nothing left mid-attempt: in-flight sends were recorded before the exit.
    expect(counts.sending ?? 0).toBe(0);
    expect(counts.sent ?? 0).toBe(sentBeforeRestart);

    herald = await startHeraldChild(['all'], env);
    twilio.setLatency(0);
    await eventually(`all ${USERS} sent after the restart`, async () => {
      const r = await fetch(`${url}/v1/notifications/${id}`);
      const n = (await r.json()) as { counts: Record<string, number>; total: number };
      return n.total === USERS && n.counts.sent === USERS;
    }, 60_000, 200);
    const to = twilio.received.map((m) => m.to);
    expect(to).toHaveLength(USERS);
    expect(new Set(to).size).toBe(USERS);
    await stopChild(herald, 'SIGTERM');
    herald = undefined;
  });
});
