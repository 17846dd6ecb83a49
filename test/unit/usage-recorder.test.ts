// The usage recorder counts a batch of alike changes once per kind: the rows it writes must be the
// ones the changes would write one at a time (sums per row, whatever the mix in the batch).
import type { UsageDelta, UsageMessage } from '../../src/domain/usage';
import { createUsageRecorder } from '../../src/services/usage/recorder';
import type { MessageChange } from '../../src/services/usage/observe-messages';

const at = new Date('2030-01-01T10:20:00Z');
const later = new Date('2030-01-01T11:05:00Z');
const base: UsageMessage = {
  id: 'm1', workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms', to: '+254700000001',
  content: { text: 'hi' }, sms: { encoding: 'GSM-7', segments: 1, parts: ['hi'] }, status: 'queued',
  statusHistory: [{ status: 'accepted', at }, { status: 'queued', at }], validUntil: new Date('2030-01-02T00:00:00Z'), attempts: 0, createdAt: at, updatedAt: at,
};

function msg(i: number, over: Partial<UsageMessage>): UsageMessage {
  return { ...base, id: `m${i}`, userId: `u${i}`, ...over } as UsageMessage;
}

/** The rows written after these listener calls, as `row id -> counts` (zero columns left out). */
async function rowsAfter(calls: MessageChange[][]): Promise<Record<string, Record<string, number>>> {
  const written: UsageDelta[] = [];
  const recorder = createUsageRecorder({ add: async (rows: UsageDelta[]) => void written.push(...rows) } as never, { warn() {}, error() {} } as never);
  for (const c of calls) recorder.listener(c);
  await recorder.flush();
  const out: Record<string, Record<string, number>> = {};
  for (const d of written) {
    const id = `${d.workspaceId}|${d.hour.toISOString()}|${d.dimension}|${d.key}|${d.channel}|${d.provider}`;
    const row = (out[id] ??= {});
    for (const [k, v] of Object.entries(d.counts)) if (v) row[k] = (row[k] ?? 0) + v;
  }
  return out;
}

describe('usage recorder', () => {
  it('writes for a batch of mixed changes the rows its changes write one at a time', async () => {
    const batch: MessageChange[] = [];
    for (let i = 0; i < 60; i++) {
      const sent = i % 3 !== 0;
      batch.push({
        before: i % 5 === 0 ? undefined : 'sending',
        message: msg(i, {
          status: sent ? 'sent' : 'failed',
          provider: i % 2 ? 'twilio' : 'gateway',
          sentAt: sent ? at : undefined,
          sms: { encoding: 'GSM-7', segments: 1 + (i % 5), parts: ['hi'] },
          cost: i % 7 === 0 ? undefined : 100 + (i % 3) * 50,
          programId: i % 6 === 0 ? '' : 'p1',
          ...(i % 6 === 0 ? { campaignId: 'c1' } : {}),
          workspaceId: i % 8 === 0 ? 'w2' : 'default',
          statusHistory: [{ status: 'accepted', at: i % 9 === 0 ? later : at }],
        }),
      });
    }
    // Claims (queued -> sending) stay in the pending column: nothing to write for them.
    for (let i = 60; i < 70; i++) batch.push({ before: 'queued', message: msg(i, { status: 'sending', provider: 'twilio', cost: 100 }) });
    const together = await rowsAfter([batch]);
    expect(Object.keys(together).length).toBeGreaterThan(8);
    expect(together).toEqual(await rowsAfter(batch.map((c) => [c])));
  });
});

describe('usage recorder, a change arriving as a write ends', () => {
  // A change told while the last write's promise is settling (a few microtasks after the store answered) must
  // be written too, without another change to wake the recorder (a campaign's last sends: the counters stayed short).
  it.each([0, 1, 2, 3, 4, 5, 6, 8])('writes it within the linger, told %i microtasks after the store answered', async (ticks) => {
    const written: UsageDelta[] = [];
    let late: (() => void) | undefined;
    const repo = {
      add: async (rows: UsageDelta[]) => {
        written.push(...rows);
        const tell = late;
        late = undefined;
        if (tell) {
          let p = Promise.resolve();
          for (let i = 0; i < ticks; i++) p = p.then(() => undefined);
          void p.then(tell);
        }
      },
    };
    const recorder = createUsageRecorder(repo as never, { warn() {}, error() {} } as never);
    const sent = (i: number): MessageChange => ({ before: 'sending', message: msg(i, { status: 'sent', provider: 'twilio', sentAt: at }) });
    late = () => recorder.listener([sent(2)]);
    recorder.listener([sent(1)]);
    const sentCount = () => written.filter((d) => d.dimension === 'workspace').reduce((n, d) => n + (d.counts.sent ?? 0), 0);
    const deadline = Date.now() + 1_000;
    while (sentCount() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(sentCount()).toBe(2);
  });
});
