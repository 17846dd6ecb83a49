// A transition's history entry as the SQLite store writes it (src/store/sqlite/message-updates.ts):
// built by hand, it must be the very text JSON.stringify gives (what json_insert appends is read back as is).
import { changeJson } from '../../src/store/sqlite/message-updates';
import type { StatusChange } from '../../src/domain/types';

describe('history entry JSON', () => {
  const at = new Date('2026-12-02T11:20:33.123Z');
  it.each<[string, StatusChange]>([
    ['status and time', { status: 'sending', at }],
    ['a reason with quotes, a newline and non-ASCII', { status: 'failed', at, reason: 'refused: "bad" number\nréessayer \u2028' }],
    ['provider and its status', { status: 'sent', at, provider: 'http-1', providerStatus: 'ACCEPTED' }],
    ['every field', { status: 'delivered', at, reason: 'r', provider: 'p', providerStatus: 'DELIVRD' }],
    ['an invalid date', { status: 'queued', at: new Date(Number.NaN) }],
  ])('%s: the same text as JSON.stringify', (_, c) => {
    expect(changeJson(c)).toBe(JSON.stringify(c));
  });
});
