// What a message change writes to the usage counters: rows for the workspace, the program and the
// campaign, never for the recipient (its figures are counted from its messages, with the same rules).
import { usageHoursOf, type UsageMessage } from '../../src/domain/usage';
import { usageDeltas } from '../../src/services/usage/deltas';

const at = new Date('2030-01-01T10:20:00Z');
const base: UsageMessage = {
  id: 'm1', workspaceId: 'default', notificationId: 'n1', programId: 'p1', eventTypeId: 'e1', userId: 'u1', channel: 'sms', to: '+254700000001',
  content: { text: 'hi' }, sms: { encoding: 'GSM-7', segments: 3, parts: ['hi'] }, status: 'queued',
  statusHistory: [{ status: 'accepted', at }, { status: 'queued', at }], validUntil: new Date('2030-01-02T00:00:00Z'), attempts: 0, cost: 300, createdAt: at, updatedAt: at,
};

describe('usage deltas', () => {
  it('write no recipient rows at the fan-out nor at the hand-over', () => {
    const stored = usageDeltas({ before: undefined, message: base });
    const sent = usageDeltas({ before: 'sending', message: { ...base, status: 'sent', provider: 'twilio', sentAt: at } });
    const campaign = usageDeltas({ before: undefined, message: { ...base, programId: '', campaignId: 'c1' } as UsageMessage });
    expect(stored.map((d) => d.dimension)).toEqual(['workspace', 'program']);
    expect(sent.map((d) => [d.dimension, d.provider, d.counts])).toEqual([
      ['workspace', '', { pending: -1 }], ['program', '', { pending: -1 }],
      ['workspace', 'twilio', { sent: 1, segments: 3 }], ['program', 'twilio', { sent: 1, segments: 3 }],
    ]);
    expect(campaign.map((d) => d.dimension)).toEqual(['workspace', 'campaign']);
  });

  it('sum, over a message\'s changes, to what usageHoursOf counts from the message itself', () => {
    const changes = [
      { before: undefined, message: base },
      { before: 'queued' as const, message: { ...base, status: 'sending' as const, provider: 'twilio' } },
      { before: 'sending' as const, message: { ...base, status: 'failed' as const, provider: 'twilio' } },
    ];
    const sums: Record<string, number> = {};
    for (const c of changes) for (const d of usageDeltas(c)) if (d.dimension === 'workspace') for (const [k, v] of Object.entries(d.counts)) sums[k] = (sums[k] ?? 0) + (v ?? 0);
    const [h] = usageHoursOf([changes[2].message], { from: new Date('2030-01-01T00:00:00Z'), to: new Date('2030-01-02T00:00:00Z') });
    expect(h.hour).toEqual(new Date('2030-01-01T10:00:00Z'));
    expect(Object.fromEntries(Object.entries(h.counts).filter(([, v]) => v !== 0))).toEqual(Object.fromEntries(Object.entries(sums).filter(([, v]) => v !== 0)));
  });
});
