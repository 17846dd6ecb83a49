// A provider that fails every call for a while, then recovers, with the default circuit settings:
// alone, its messages wait (held, not failed) and all go out within a minute of the recovery, with
// a handful of log lines, not one per message; with a second provider, they fail over at once.
// The outage is 2 minutes; here OUTAGE_MS (45 s) keeps CI short: the circuit's spells
// (1 s doubling to HERALD_CIRCUIT_OPEN_MS, 30 s) reach their cap well inside it, so the recovery
// is found as late as after a longer outage.
import fs from 'node:fs';
import { startCluster, type Cluster } from './cluster';
import { expectNothingLostOrDoubled, messagesOf, outcome, record, row, waitAllFinal } from './outcome';

jest.setTimeout(300_000);

const OUTAGE_MS = 45_000;
/** Log lines that speak of provider trouble. */
const TROUBLE = /provider circuit|usable provider|usable again|slow down/;

let c: Cluster;

beforeAll(async () => {
  c = await startCluster('outage', { secondTwilio: true, env: { HERALD_PROVIDERS_REFRESH_MS: '500' } });
});

afterAll(async () => {
  await c?.dispose();
});

async function setPaused(id: string, paused: boolean): Promise<void> {
  await c.store.providerControl.update(id, { paused });
  await new Promise((r) => setTimeout(r, 1_500)); // every worker re-reads it within a refresh period
}

function logLinesSince(offset: number): string[] {
  return fs.readFileSync(c.sms.logFile, 'utf8').slice(offset).split('\n');
}

test(`a lone provider failing every call for ${OUTAGE_MS / 1000} s: all 200 sent within 60 s of its recovery, a few log lines`, async () => {
  await setPaused('twilio-2', true);
  const { programId, eventTypeId } = await c.seed(200, ['sms']);
  const logFrom = fs.statSync(c.sms.logFile).size;
  c.twilio.failBy(() => 500);
  const started = Date.now();
  const id = await c.post(programId, eventTypeId);
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  expect(await c.store.messages.countByStatus(id)).not.toHaveProperty('failed');
  c.twilio.failBy(undefined);
  const recoveredAt = Date.now();
  await waitAllFinal(c, [id], 200, 60_000);
  const recoverMs = Date.now() - recoveredAt;
  const o = await outcome(c, [id]);
  record(15, row(`lone Twilio fails every call for ${OUTAGE_MS / 1000} s, then recovers`, o, recoverMs, 'time = from the recovery; limit 60 s'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 200 });
  expect(recoverMs).toBeLessThan(60_000);
  // Held, not retried to death: no message used all 4 attempts' worth of failures.
  expect((await messagesOf(c, [id])).every((m) => m.attempts <= 4)).toBe(true);
  const lines = logLinesSince(logFrom).filter((l) => TROUBLE.test(l));
  const minutes = (Date.now() - started) / 60_000;
  // State changes (open, half-open, no provider, closed, usable again) and summaries every 30 s: bounded by time, not by messages.
  expect(lines.length).toBeLessThanOrEqual(6 + Math.ceil(minutes * 2) * 2);
  expect(lines.filter((l) => /no usable provider/.test(l)).length).toBeLessThanOrEqual(1 + Math.ceil(minutes * 2));
});

test('with a second provider: 200 messages fail over within seconds, none waits for the failing one', async () => {
  await setPaused('twilio-2', false);
  const { programId, eventTypeId } = await c.seed(200, ['sms']);
  c.twilio.failBy(() => 500);
  const started = Date.now();
  const id = await c.post(programId, eventTypeId);
  await waitAllFinal(c, [id], 200, 30_000);
  const ms = Date.now() - started;
  c.twilio.failBy(undefined);
  const o = await outcome(c, [id]);
  record(16, row('first Twilio fails every call, a second one is configured', o, ms, 'time = whole batch; failover'));
  expectNothingLostOrDoubled(o);
  expect(o.byStatus).toEqual({ sent: 200 });
  const msgs = await messagesOf(c, [id]);
  expect(msgs.every((m) => m.provider === 'twilio-2')).toBe(true);
  // A message that met the failing provider went to the other one within seconds.
  for (const m of msgs) {
    const failed = m.statusHistory.find((h) => /retry after SERVER_ERROR/.test(h.reason ?? ''));
    if (failed) expect(m.sentAt!.getTime() - failed.at.getTime()).toBeLessThan(10_000);
  }
  expect(ms).toBeLessThan(30_000);
});
