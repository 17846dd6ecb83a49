// RabbitMQ connections of every Herald process force-closed (rabbitmqctl close_connection)
// twice during dispatch: publishes in flight are not confirmed and are retried, unacked
// deliveries come back, consumers re-attach on the new connection; nothing lost or doubled.
import { startCluster, until, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, outcome, record, row, waitAllFinal } from './outcome';
import { closeConnectionsOf, connectionsOf } from './rabbit';
import { eventually } from '../support/herald';

jest.setTimeout(180_000);

let c: Cluster;

beforeAll(async () => {
  c = await startCluster('broker');
});

afterAll(async () => {
  await c?.dispose();
});

test('every connection force-closed twice during dispatch of 2 notifications x 300 users x 2 channels', async () => {
  const USERS = 300;
  const total = 2 * USERS * 2;
  const { programId, eventTypeId } = await c.seed(USERS, ['sms', 'email']);
  c.twilio.setLatency(10);
  c.smtp.setLatency(10);
  expect((await connectionsOf(c.prefix)).length).toBe(3);
  const ids = [await c.post(programId, eventTypeId), await c.post(programId, eventTypeId)];
  await until(c, '20% received', () => c.received() >= total * 0.2);
  const firstCut = Date.now();
  const closedFirst = await closeConnectionsOf(c.prefix);
  await until(c, '50% received', () => c.received() >= total * 0.5);
  const closedSecond = await closeConnectionsOf(c.prefix);
  const lastCut = Date.now();
  await waitAllFinal(c, ids, total, 120_000);
  const recoverMs = Date.now() - lastCut;
  const o = await outcome(c, ids);
  record(5, row('RabbitMQ connections of all 3 processes force-closed, twice (`rabbitmqctl close_connection`)', o, recoverMs, `closed ${closedFirst} then ${closedSecond} connections, ${lastCut - firstCut} ms apart`));
  expect(closedFirst).toBe(3);
  expect(closedSecond).toBeGreaterThanOrEqual(1);
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: total });
  // Every process is back on the broker, on one connection each (one may still be in its reconnect backoff
  // when the last message lands: it had nothing left to do).
  const back = await eventually('every process reconnected', async () => {
    const n = (await connectionsOf(c.prefix)).length;
    return n >= 3 ? n : undefined;
  }, 30_000, 250);
  expect(back).toBe(3);
});
