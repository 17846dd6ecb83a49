// kill -9 of a channel worker in the middle of a batch: whatever it held unacked comes back
// from RabbitMQ to the restarted worker; what it was sending waits out the lease and is sent
// again marked possibleDuplicate; nothing is lost and nothing is sent twice unmarked.
import { startCluster, until, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(180_000);

let c: Cluster;

beforeAll(async () => {
  c = await startCluster('worker');
});

afterAll(async () => {
  await c?.dispose();
});

test('kill -9 of the SMS worker at ~30% of 2,000 SMS: all sent, none doubled', async () => {
  const N = 2000;
  const { programId, eventTypeId } = await c.seed(N, ['sms']);
  c.twilio.setLatency(10);
  const before = c.twilio.received.length;
  const id = await c.post(programId, eventTypeId);
  await until(c, '30% at the fake Twilio', () => c.twilio.received.length - before >= N * 0.3);
  await c.sms.kill('SIGKILL');
  const killedAt = Date.now();
  const atKill = c.twilio.received.length - before;
  await c.sms.start();
  await waitAllFinal(c, [id], N, 120_000);
  const recoverMs = Date.now() - killedAt;
  const o = await outcome(c, [id]);
  record(1, row('`kill -9` SMS worker at ~30% of the batch, restarted', o, recoverMs, `killed at ${atKill} received`));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: N });
  expect(o.sendable).toBe(N);
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
