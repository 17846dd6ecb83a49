// A lone SMS provider that refuses some calls of every message, with the default circuit settings:
// 429 + Retry-After to each message's first attempt (back-pressure: never opens the circuit), and
// 500 to each message's first two attempts (message errors: retried with backoff; the circuit's
// trial goes to the message that waited longest, so it closes again). Everything is sent in time.
import fs from 'node:fs';
import { startCluster, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, messagesOf, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(240_000);

let c: Cluster;

beforeAll(async () => {
  // Default circuit (5 failures, spells from 1 s up to 30 s), default retry backoff (1 s .. 60 s), 5 attempts.
  c = await startCluster('backpressure', {
    env: { HERALD_RETRY_BASE_MS: '1000', HERALD_RETRY_MAX_MS: '60000', HERALD_MAX_ATTEMPTS: '5' },
  });
});

afterAll(async () => {
  await c?.dispose();
});

async function batch(users: number, limitMs: number): Promise<{ id: string; ms: number }> {
  const { programId, eventTypeId } = await c.seed(users, ['sms']);
  const started = Date.now();
  const id = await c.post(programId, eventTypeId);
  await waitAllFinal(c, [id], users, limitMs);
  return { id, ms: Date.now() - started };
}

const smsLog = (): string => fs.readFileSync(c.sms.logFile, 'utf8');

test('429 + Retry-After: 1 to every first attempt: 200 of 200 sent within 60 s, the circuit never opens', async () => {
  c.twilio.failBy(({ attempt }) => (attempt === 1 ? 429 : undefined), { retryAfterS: 1 });
  const { id, ms } = await batch(200, 60_000);
  c.twilio.failBy(undefined);
  const o = await outcome(c, [id]);
  record(13, row('lone Twilio answers 429 + Retry-After: 1 to every message\'s first attempt', o, ms, 'time = whole batch; limit 60 s'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 200 });
  expect(ms).toBeLessThan(60_000);
  expect(smsLog()).not.toMatch(/provider circuit open/);
  for (const m of await messagesOf(c, [id])) {
    // Back-pressure costs no attempt, and the retry waited at least the second asked for.
    expect(m.attempts).toBe(1);
    const i = m.statusHistory.findIndex((h) => /retry after RATE_LIMITED/.test(h.reason ?? ''));
    const next = m.statusHistory.slice(i + 1).find((h) => h.status === 'sending');
    expect(next!.at.getTime() - m.statusHistory[i].at.getTime()).toBeGreaterThanOrEqual(950);
  }
});

test('500 to every message\'s first two attempts: 200 of 200 sent within 2 minutes', async () => {
  c.twilio.failBy(({ attempt }) => (attempt <= 2 ? 500 : undefined));
  const { id, ms } = await batch(200, 120_000);
  c.twilio.failBy(undefined);
  const o = await outcome(c, [id]);
  record(14, row('lone Twilio answers 500 to every message\'s first two attempts', o, ms, 'time = whole batch; limit 2 min'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 200 });
  expect(ms).toBeLessThan(120_000);
  // Each message went out on its third attempt: the provider saw exactly 3 requests per message.
  expect((await messagesOf(c, [id])).every((m) => m.attempts === 3)).toBe(true);
});
