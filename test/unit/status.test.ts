import { aggregateParts, canMoveTo, FINAL_STATUSES, isFinal, NOT_HANDED_OVER, sourcesFor, summarize } from '../../src/domain/status';
import { MESSAGE_STATUSES, type MessageStatus } from '../../src/domain/types';

describe('isFinal', () => {
  it('marks exactly the six end states final', () => {
    expect(MESSAGE_STATUSES.filter(isFinal).sort()).toEqual(['cancelled', 'delivered', 'expired', 'failed', 'rejected', 'undelivered']);
    expect([...FINAL_STATUSES].sort()).toEqual(MESSAGE_STATUSES.filter(isFinal).sort());
  });
});

describe('canMoveTo', () => {
  const table: Array<[MessageStatus, MessageStatus, boolean]> = [
    ['accepted', 'queued', true],
    ['scheduled', 'queued', true],
    ['queued', 'sending', true],
    ['sending', 'sent', true],
    ['sent', 'delivered', true],
    ['sent', 'undelivered', true],
    // a delivery report can overtake the worker's own `sent`
    ['sending', 'delivered', true],
    ['queued', 'sent', true],
    // hand back on shutdown or for a retry
    ['sending', 'queued', true],
    // never backwards otherwise
    ['sent', 'sending', false],
    ['sent', 'queued', false],
    ['queued', 'accepted', false],
    ['queued', 'scheduled', false],
    ['scheduled', 'accepted', false],
    ['accepted', 'scheduled', false],
    ['delivered', 'sent', false],
    // no-op moves are not transitions (a repeated report changes nothing)
    ['sent', 'sent', false],
    ['queued', 'queued', false],
    // failure from anywhere not final
    ['accepted', 'failed', true],
    ['queued', 'failed', true],
    ['sending', 'failed', true],
    ['sent', 'failed', true],
    ['queued', 'rejected', true],
    ['sending', 'rejected', true],
    // expiry: not while in flight
    ['accepted', 'expired', true],
    ['scheduled', 'expired', true],
    ['queued', 'expired', true],
    ['sending', 'expired', false],
    ['sent', 'expired', true],
    // cancel only what no provider has seen
    ['accepted', 'cancelled', true],
    ['scheduled', 'cancelled', true],
    ['queued', 'cancelled', true],
    ['sending', 'cancelled', false],
    ['sent', 'cancelled', false],
    // final is final
    ['delivered', 'undelivered', false],
    ['undelivered', 'delivered', false],
    ['failed', 'queued', false],
    ['expired', 'sent', false],
    ['cancelled', 'queued', false],
    ['rejected', 'failed', false],
  ];

  it.each(table)('%s -> %s: %s', (from, to, expected) => {
    expect(canMoveTo(from, to)).toBe(expected);
  });

  it('nothing leaves a final status', () => {
    for (const from of FINAL_STATUSES) for (const to of MESSAGE_STATUSES) expect(canMoveTo(from, to)).toBe(false);
  });

  it('nothing moves into accepted or scheduled', () => {
    for (const from of MESSAGE_STATUSES) {
      expect(canMoveTo(from, 'accepted')).toBe(false);
      expect(canMoveTo(from, 'scheduled')).toBe(false);
    }
  });
});

describe('sourcesFor', () => {
  it.each<[MessageStatus, MessageStatus[]]>([
    ['queued', ['accepted', 'scheduled', 'sending']],
    ['sending', ['accepted', 'scheduled', 'queued']],
    ['sent', ['accepted', 'scheduled', 'queued', 'sending']],
    ['delivered', ['accepted', 'scheduled', 'queued', 'sending', 'sent']],
    ['expired', ['accepted', 'scheduled', 'queued', 'sent']],
    ['cancelled', ['accepted', 'scheduled', 'queued']],
    ['failed', ['accepted', 'scheduled', 'queued', 'sending', 'sent']],
    ['accepted', []],
  ])('sourcesFor(%s)', (to, from) => {
    expect(sourcesFor(to)).toEqual(from);
  });

  it('agrees with canMoveTo for every pair and returns a fresh array', () => {
    for (const to of MESSAGE_STATUSES) {
      for (const from of MESSAGE_STATUSES) expect(sourcesFor(to).includes(from)).toBe(canMoveTo(from, to));
    }
    sourcesFor('sent').push('delivered');
    expect(sourcesFor('sent')).not.toContain('delivered');
  });

  it('NOT_HANDED_OVER is what cancel acts on', () => {
    expect(sourcesFor('cancelled')).toEqual([...NOT_HANDED_OVER]);
  });
});

describe('summarize', () => {
  it('adds totals, finals and pending', () => {
    expect(summarize({ queued: 3, sent: 2, delivered: 5, failed: 1, expired: 1 })).toEqual({ total: 12, final: 7, pending: 5 });
    expect(summarize({})).toEqual({ total: 0, final: 0, pending: 0 });
    expect(summarize({ delivered: 0, sending: undefined })).toEqual({ total: 0, final: 0, pending: 0 });
  });
});

describe('aggregateParts', () => {
  it.each<[MessageStatus[], MessageStatus]>([
    [['delivered'], 'delivered'],
    [['delivered', 'delivered', 'delivered'], 'delivered'],
    [['delivered', 'sent'], 'sent'],
    [['sent', 'queued', 'delivered'], 'queued'],
    [['delivered', 'undelivered'], 'undelivered'],
    [['delivered', 'failed'], 'undelivered'],
    [['failed', 'failed'], 'failed'],
    [['undelivered', 'undelivered'], 'undelivered'],
    // a part still in flight: not decided yet
    [['undelivered', 'sending'], 'sending'],
    [['failed', 'sent'], 'sent'],
    [['delivered', 'expired'], 'expired'],
    [['expired', 'cancelled'], 'cancelled'],
    [['rejected', 'delivered'], 'rejected'],
  ])('%j -> %s', (parts, expected) => {
    expect(aggregateParts(parts)).toBe(expected);
  });

  it('needs at least one part', () => {
    expect(() => aggregateParts([])).toThrow(RangeError);
  });
});
