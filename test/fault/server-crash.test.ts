// kill -9 of the dispatch server: once in the middle of fan-out (the unacked dispatch delivery
// comes back and fan-out resumes from the stored cursor), once while POSTs are in flight (a
// notification stored but never published is republished by the relay after restart).
import { startCluster, logHint, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(180_000);

let c: Cluster;

beforeAll(async () => {
  // Small fan-out batches: five notifications stay in fan-out long enough for the kill to land inside it.
  c = await startCluster('server', { env: { HERALD_DISPATCH_BATCH: '25' } });
});

afterAll(async () => {
  await c?.dispose();
});

test('kill -9 of the server during fan-out of 5 notifications x 400 SMS users', async () => {
  const USERS = 400;
  const { programId, eventTypeId } = await c.seed(USERS, ['sms']);
  c.twilio.setLatency(5);
  const before = c.twilio.received.length;
  const ids = await Promise.all(Array.from({ length: 5 }, () => c.post(programId, eventTypeId)));
  // Fan-out has begun (some SMS are out) but cannot have finished for five notifications.
  const deadline = Date.now() + 30_000;
  while (c.twilio.received.length - before < 10) {
    if (Date.now() > deadline) throw new Error(`no SMS went out; ${logHint(c)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const dispatching = (await Promise.all(ids.map((id) => c.store.notifications.get(id)))).filter((n) => n?.status !== 'dispatched').length;
  await c.server.kill('SIGKILL');
  const killedAt = Date.now();
  await c.server.start();
  await waitAllFinal(c, ids, ids.length * USERS, 120_000);
  const recoverMs = Date.now() - killedAt;
  const o = await outcome(c, ids);
  record(3, row('`kill -9` server during fan-out (5 notifications x 400 users), restarted', o, recoverMs, `${dispatching} of 5 notifications not yet fanned out at the kill`));
  expect(dispatching).toBeGreaterThan(0);
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: ids.length * USERS });
});

test('kill -9 of the server while 20 POSTs are in flight: every stored notification completes', async () => {
  const USERS = 50;
  const { programId, eventTypeId } = await c.seed(USERS, ['sms', 'email']);
  const accepted: string[] = [];
  const posts = Array.from({ length: 20 }, () =>
    c.post(programId, eventTypeId).then(
      (id) => void accepted.push(id),
      () => undefined, // the server died before answering: not accepted, but may be stored
    ),
  );
  const deadline = Date.now() + 30_000;
  while (accepted.length < 3) {
    if (Date.now() > deadline) throw new Error(`no 202 came back; ${logHint(c)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
  await c.server.kill('SIGKILL');
  const killedAt = Date.now();
  await Promise.all(posts);
  const answered = accepted.length;
  await c.server.start();
  const stored = (await c.store.notifications.list({ workspaceId: 'default', programId }, { limit: 100, offset: 0 })).items.map((n) => n.id);
  expect(stored).toEqual(expect.arrayContaining(accepted));
  await waitAllFinal(c, stored, stored.length * USERS * 2, 120_000);
  const recoverMs = Date.now() - killedAt;
  const o = await outcome(c, stored);
  record(4, row('`kill -9` server while 20 POSTs were in flight, restarted', o, recoverMs, `${answered} answered 202, ${stored.length} stored; all stored ones completed`));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: stored.length * USERS * 2 });
});
