// MongoDB unreachable during dispatch, then back. The test server keeps its data in memory, so
// it is not restarted: a TCP proxy between Herald's processes and it drops every connection
// and refuses new ones for a while (what a stopped server looks like from Herald's side).
import { startCluster, until, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(180_000);

let c: Cluster;

beforeAll(async () => {
  c = await startCluster('mongo', { mongoProxy: true });
});

afterAll(async () => {
  await c?.dispose();
});

test('MongoDB unreachable for 6 s during dispatch of 2 notifications x 300 users x 2 channels', async () => {
  const USERS = 300;
  const total = 2 * USERS * 2;
  const { programId, eventTypeId } = await c.seed(USERS, ['sms', 'email']);
  c.twilio.setLatency(10);
  c.smtp.setLatency(10);
  const ids = [await c.post(programId, eventTypeId), await c.post(programId, eventTypeId)];
  await until(c, '25% received', () => c.received() >= total * 0.25);
  await c.proxy!.cut();
  const cutAt = Date.now();
  const atCut = c.received();
  await new Promise((r) => setTimeout(r, 6_000));
  const duringOutage = c.received() - atCut;
  await c.proxy!.restore();
  const restoredAt = Date.now();
  await waitAllFinal(c, ids, total, 120_000);
  const recoverMs = Date.now() - restoredAt;
  const o = await outcome(c, ids);
  record(6, row('MongoDB unreachable for 6 s during dispatch (TCP proxy cut: connections dropped, new ones refused)', o, recoverMs, `${duringOutage} handed to providers during the outage; unreachable for ${restoredAt - cutAt} ms`));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: total });
  // A send the provider accepted while the store was away is recorded on the redelivery, never sent again. (A
  // message whose 'sending' write landed without its answer is resumed and marked possibleDuplicate, but sent once.)
  expect(o.receivedTwiceMarked).toBe(0);
  // Store failures do not count against the provider (no circuit opened by them).
  expect(recoverMs).toBeLessThan(20_000);
});
