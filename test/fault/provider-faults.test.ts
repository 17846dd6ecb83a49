// A provider that times out, answers 500, answers 429 with Retry-After, accepts slowly, and
// fails for good: messages end sent after retries (timeouts marked possibleDuplicate, since
// the fake accepted them), or failed with the last error once the attempts are spent.
import { startCluster, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, messagesOf, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(180_000);

let c: Cluster;

beforeAll(async () => {
  // Provider timeout 1.5 s < lease 6 s; 4 attempts; an open circuit tries again after 2 s.
  c = await startCluster('provider', { providerTimeoutMs: 1500, env: { HERALD_MAX_ATTEMPTS: '4', HERALD_CIRCUIT_OPEN_MS: '2000' } });
});

afterAll(async () => {
  await c?.dispose();
});

async function batch(users: number, fault: () => void): Promise<{ id: string; ms: number }> {
  const { programId, eventTypeId } = await c.seed(users, ['sms']);
  fault();
  const started = Date.now();
  const id = await c.post(programId, eventTypeId);
  await waitAllFinal(c, [id], users, 90_000);
  return { id, ms: Date.now() - started };
}

test('5 of 50 requests time out after Twilio accepted them: all sent, those 5 marked possibleDuplicate', async () => {
  const { id, ms } = await batch(50, () => c.twilio.failNext(5, 'timeout'));
  const o = await outcome(c, [id]);
  record(7, row('Twilio accepts but never answers (client timeout 1.5 s), 5 of 50', o, ms, 'time = whole batch'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 50 });
  expect(o.markedPossibleDuplicate).toBe(5);
  expect(o.receivedTwiceMarked).toBe(5);
  const marked = (await messagesOf(c, [id])).filter((m) => m.possibleDuplicate);
  expect(marked.every((m) => m.statusHistory.some((h) => /retry after TIMEOUT/.test(h.reason ?? '')))).toBe(true);
});

test('5 of 50 requests answered 500: all sent after a retry, nothing doubled', async () => {
  const { id, ms } = await batch(50, () => c.twilio.failNext(5, 500));
  const o = await outcome(c, [id]);
  record(8, row('Twilio answers HTTP 500, 5 of 50', o, ms, 'time = whole batch'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 50 });
  expect(o.markedPossibleDuplicate).toBe(0);
  const retried = (await messagesOf(c, [id])).filter((m) => m.attempts > 1);
  expect(retried).toHaveLength(5);
});

test('5 of 50 answered 429 with Retry-After: 1: retried no sooner than asked', async () => {
  const { id, ms } = await batch(50, () => c.twilio.failNext(5, 429, { retryAfterS: 1 }));
  const o = await outcome(c, [id]);
  record(9, row('Twilio answers 429 with Retry-After: 1, 5 of 50', o, ms, 'time = whole batch'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 50 });
  const limited = (await messagesOf(c, [id])).filter((m) => m.statusHistory.some((h) => /RATE_LIMITED/.test(h.reason ?? '')));
  expect(limited).toHaveLength(5);
  for (const m of limited) {
    const i = m.statusHistory.findIndex((h) => /RATE_LIMITED/.test(h.reason ?? ''));
    const next = m.statusHistory.slice(i + 1).find((h) => h.status === 'sending');
    expect(next!.at.getTime() - m.statusHistory[i].at.getTime()).toBeGreaterThanOrEqual(950);
  }
});

test('every answer 700 ms late (under the 1.5 s timeout): all sent once', async () => {
  const { id, ms } = await batch(50, () => c.twilio.setLatency(700));
  c.twilio.setLatency(0);
  const o = await outcome(c, [id]);
  record(10, row('Twilio answers every request 700 ms late', o, ms, 'time = whole batch'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 50 });
  expect(o.markedPossibleDuplicate).toBe(0);
  expect((await messagesOf(c, [id])).every((m) => m.attempts === 1)).toBe(true);
});

test('a permanent 500: failed after 4 attempts with the last error, none sent', async () => {
  const { id, ms } = await batch(3, () => c.twilio.failNext(12, 500));
  const o = await outcome(c, [id]);
  record(11, row('Twilio answers 500 to everything (3 messages, 4 attempts each)', o, ms, 'expected: failed, with the last error'));
  expect(o.byStatus).toEqual({ failed: 3 });
  expect(o.lost).toBe(0);
  expect(o.duplicated).toBe(0);
  for (const m of await messagesOf(c, [id])) {
    expect(m.attempts).toBe(4);
    expect(m.error).toMatchObject({ code: 'SERVER_ERROR' });
    expect(m.error!.message).toMatch(/500/);
  }
});
