// A campaign run survives kill -9 of what carries it, on MongoDB + RabbitMQ with child processes:
// an SMS worker killed mid-run (its messages come back to the other worker, the interrupted ones
// marked possibleDuplicate), and the server killed while the run is still creating messages (the
// run's delivery comes back when it restarts and resumes from its cursor). 0 lost, 0 doubled.
import { startCluster, until, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, outcome } from './outcome';
import { eventually } from '../support/herald';

jest.setTimeout(240_000);
let c: Cluster;

beforeAll(async () => {
  // Small run batches: the server's part of a run lasts long enough to be killed in the middle.
  c = await startCluster('campaign', { smsWorkers: 2, env: { HERALD_LEASE_MS: '10000', HERALD_DISPATCH_BATCH: '50' } });
});

afterAll(async () => {
  await c?.dispose();
});

const phone = (area: number, i: number) => `+2547${area}${String(i).padStart(6, '0')}`;

async function createAndRun(tag: string, n: number, area: number): Promise<string> {
  const recipients = Array.from({ length: n }, (_, i) => ({ phone: phone(area, i) }));
  const res = await fetch(`${c.server.url}/v1/campaigns`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: tag, message: `${tag} hello {{phone}}`, recipients }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  const run = await fetch(`${c.server.url}/v1/campaigns/${id}/run`, { method: 'POST' });
  expect(run.status).toBe(200);
  return id;
}

async function waitCompleted(id: string, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const camp = await c.store.campaigns.get(id);
    if (camp?.status === 'completed') return;
    if (Date.now() > deadline) throw new Error(`campaign ${id} not completed: ${JSON.stringify({ status: camp?.status, run: camp?.run, counts: await c.store.messages.countByStatus(id) })}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('kill -9 of one of two SMS workers at ~30% of a 1,000-SMS campaign: all sent once', async () => {
  const N = 1000;
  c.twilio.setLatency(10);
  const before = c.twilio.received.length;
  const id = await createAndRun('crashA', N, 10);
  await until(c, '30% at the fake Twilio', () => c.twilio.received.length - before >= N * 0.3);
  await c.sms.kill('SIGKILL');
  await waitCompleted(id);
  await c.sms.start();
  const o = await outcome(c, [id]);
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: N });
});

test('kill -9 of the server while the run is creating messages: it resumes from its cursor after the restart, nothing lost or doubled', async () => {
  const N = 1000;
  c.twilio.setLatency(20);
  const id = await createAndRun('crashB', N, 11);
  await eventually('part of the run created', async () => ((await c.store.campaigns.get(id))?.run.messages ?? 0) >= 150, 60_000, 10);
  await c.server.kill('SIGKILL');
  const createdAtKill = (await c.store.campaigns.get(id))!.run.messages;
  expect(createdAtKill).toBeLessThan(N);
  await c.server.start();
  await waitCompleted(id);
  const o = await outcome(c, [id]);
  expectNothingLostOrDoubled(o);
  expect(o.messages).toBe(N);
  expect(o.byStatus).toEqual({ sent: N });
});
