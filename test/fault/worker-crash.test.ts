// kill -9 of a channel worker in the middle of a batch: whatever it held unacked comes back
// from RabbitMQ at once (its connection died) to the other worker; what it was sending waits out
// the short lease it can no longer renew (HERALD_LEASE_MS, 10 s by default) and is sent again
// marked possibleDuplicate; nothing is lost and nothing is sent twice unmarked.
import type { Message } from '../../src/domain/types';
import { startCluster, until, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, messagesOf, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(180_000);

/** The bound: a dead worker's messages are sent again within 15 s of its death. */
const AVAILABLE_WITHIN_MS = 15_000;
let c: Cluster;

beforeAll(async () => {
  // The default lease, renewed every third of it; two SMS workers, so one carries on after the kill.
  c = await startCluster('worker', { smsWorkers: 2, env: { HERALD_LEASE_MS: '10000' } });
});

afterAll(async () => {
  await c?.dispose();
});

/** When the interrupted attempt was taken over (sent again), or undefined. */
const resumedAt = (m: Message): number | undefined => m.statusHistory.find((h) => h.reason === 'resumed after an interrupted attempt')?.at.getTime();

test('kill -9 of one of two SMS workers at ~30% of 2,000 SMS: all sent, none doubled, its messages out again within 15 s', async () => {
  const N = 2000;
  const { programId, eventTypeId } = await c.seed(N, ['sms']);
  c.twilio.setLatency(10);
  const before = c.twilio.received.length;
  const id = await c.post(programId, eventTypeId);
  await until(c, '30% at the fake Twilio', () => c.twilio.received.length - before >= N * 0.3);
  await c.sms.kill('SIGKILL');
  const killedAt = Date.now();
  const atKill = c.twilio.received.length - before;
  // What had an attempt under way at the kill (the other worker's included): the only candidates for a duplicate.
  const sendingAtKill = new Set((await c.store.messages.findByNotification(id, ['sending'], N)).map((m) => m.id));
  await waitAllFinal(c, [id], N, 120_000);
  const recoverMs = Date.now() - killedAt;
  await c.sms.start();
  const o = await outcome(c, [id]);
  // Taken over after the kill (others may be marked for a provider timeout: their call was in flight too).
  const resumed = (await messagesOf(c, [id])).filter((m) => resumedAt(m) !== undefined);
  const slowest = Math.max(0, ...resumed.map((m) => resumedAt(m)! - killedAt));
  record(1, row('`kill -9` of one of 2 SMS workers at ~30% of the batch', o, recoverMs,
    `killed at ${atKill} received; ${sendingAtKill.size} in flight (both workers), ${resumed.length} taken over, the last ${(slowest / 1000).toFixed(1)} s after the kill`));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: N });
  expect(o.sendable).toBe(N);
  // Taken over: only messages whose attempt was under way at the kill, each sent again within 15 s.
  expect(resumed.filter((m) => !sendingAtKill.has(m.id)).map((m) => m.id)).toEqual([]);
  expect(slowest).toBeLessThanOrEqual(AVAILABLE_WITHIN_MS);
});

test('kill -9 of the email worker mid-batch of 400 emails: all sent, none doubled', async () => {
  const N = 400;
  const { programId, eventTypeId } = await c.seed(N, ['email']);
  c.smtp.setLatency(10);
  const before = c.smtp.received.length;
  const id = await c.post(programId, eventTypeId);
  await until(c, '30% at the SMTP sink', () => c.smtp.received.length - before >= N * 0.3);
  await c.email.kill('SIGKILL');
  const killedAt = Date.now();
  const atKill = c.smtp.received.length - before;
  await c.email.start();
  await waitAllFinal(c, [id], N, 120_000);
  const recoverMs = Date.now() - killedAt;
  const o = await outcome(c, [id]);
  record(2, row('`kill -9` email worker at ~30% of the batch, restarted', o, recoverMs, `killed at ${atKill} received`));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: N });
});
