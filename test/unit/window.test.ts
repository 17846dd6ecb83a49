import { closeWindow, isExpired, resolveWindow } from '../../src/domain/window';

const at = (iso: string) => new Date(iso);
const NOW = at('2019-08-27T20:00:00Z');
const HOUR = 3_600_000;

describe('resolveWindow', () => {
  it('closed window in the future: valid until its end, not yet due', () => {
    const r = resolveWindow({ startTime: at('2019-08-27T21:04:00Z'), endTime: at('2019-08-27T22:04:00Z'), now: NOW, validityHours: 48 });
    expect(r).toEqual({
      ok: true,
      startTime: at('2019-08-27T21:04:00Z'),
      endTime: at('2019-08-27T22:04:00Z'),
      validUntil: at('2019-08-27T22:04:00Z'),
      due: false,
      warnings: [],
    });
  });

  it('closed window that has started: due now, valid until its end', () => {
    const r = resolveWindow({ startTime: at('2019-08-27T19:00:00Z'), endTime: at('2019-08-27T21:00:00Z'), now: NOW, validityHours: 48 });
    expect(r).toMatchObject({ ok: true, due: true, validUntil: at('2019-08-27T21:00:00Z') });
  });

  it('open window in the future: valid for validityHours from its start', () => {
    const r = resolveWindow({ startTime: at('2019-08-28T00:00:00Z'), now: NOW, validityHours: 48 });
    expect(r).toMatchObject({ ok: true, due: false, validUntil: at('2019-08-30T00:00:00Z') });
    expect(r.ok && r.endTime).toBeUndefined();
  });

  it('open window that started in the past: valid for validityHours from now', () => {
    const r = resolveWindow({ startTime: at('2019-08-01T00:00:00Z'), now: NOW, validityHours: 2 });
    expect(r).toMatchObject({ ok: true, due: true, validUntil: new Date(NOW.getTime() + 2 * HOUR) });
  });

  it('a start exactly now is due', () => {
    expect(resolveWindow({ startTime: NOW, now: NOW, validityHours: 1 })).toMatchObject({ ok: true, due: true });
  });

  it.each([
    ['before', at('2019-08-27T20:30:00Z')],
    ['equal to', at('2019-08-27T21:04:00Z')],
  ])('refuses an end %s the start', (_label, endTime) => {
    const r = resolveWindow({ startTime: at('2019-08-27T21:04:00Z'), endTime, now: NOW, validityHours: 48 });
    expect(r).toEqual({ ok: false, issues: [{ field: 'endTime', reason: 'must be after startTime' }] });
  });

  it('an inverted window is refused even when re-anchoring is allowed', () => {
    const r = resolveWindow({ startTime: at('2019-08-27T10:00:00Z'), endTime: at('2019-08-27T09:00:00Z'), now: NOW, validityHours: 48, reanchorPastWindow: true });
    expect(r.ok).toBe(false);
  });

  it.each([
    ['already ended', at('2019-08-27T19:00:00Z')],
    ['ending exactly now', NOW],
  ])('refuses a closed window %s, naming when it closed', (_label, endTime) => {
    const r = resolveWindow({ startTime: at('2019-08-27T18:00:00Z'), endTime, now: NOW, validityHours: 48 });
    expect(r).toEqual({ ok: false, issues: [{ field: 'endTime', reason: `window already closed at ${endTime.toISOString()}` }] });
  });

  it('re-anchors a closed past window when asked: due now, valid for validityHours from now, with a warning', () => {
    const r = resolveWindow({
      startTime: at('2019-08-27T18:00:00Z'),
      endTime: at('2019-08-27T19:00:00Z'),
      now: NOW,
      validityHours: 48,
      reanchorPastWindow: true,
    });
    if (!r.ok) throw new Error('expected ok');
    expect(r.due).toBe(true);
    expect(r.endTime).toBeUndefined();
    expect(r.startTime).toEqual(at('2019-08-27T18:00:00Z'));
    expect(r.validUntil).toEqual(at('2019-08-29T20:00:00Z'));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('2019-08-27T19:00:00.000Z');
    expect(r.warnings[0]).toContain('2019-08-29T20:00:00.000Z');    expect(r.requested).toEqual({ startTime: at('2019-08-27T18:00:00Z'), endTime: at('2019-08-27T19:00:00Z') });
  });

  it('reports invalid dates on their fields', () => {
    const r = resolveWindow({ startTime: new Date('x'), endTime: new Date('y'), now: NOW, validityHours: 48 });
    expect(r).toEqual({
      ok: false,
      issues: [
        { field: 'startTime', reason: 'is not a valid date' },
        { field: 'endTime', reason: 'is not a valid date' },
      ],
    });
  });

  it('refuses a non-positive validity (a configuration bug)', () => {
    expect(() => resolveWindow({ startTime: NOW, now: NOW, validityHours: 0 })).toThrow(RangeError);
  });
});

describe('closeWindow', () => {
  const open = { startTime: at('2019-08-27T18:00:00Z'), validUntil: at('2019-08-29T18:00:00Z') };

  it('closes an open window: validUntil becomes the end', () => {
    expect(closeWindow(open, at('2019-08-27T21:00:00Z'), NOW)).toEqual({ ok: true, validUntil: at('2019-08-27T21:00:00Z') });
  });

  it('may move the end past the open validity', () => {
    expect(closeWindow(open, at('2019-09-01T00:00:00Z'), NOW)).toEqual({ ok: true, validUntil: at('2019-09-01T00:00:00Z') });
  });

  it('refuses an end not after the start', () => {
    const future = { startTime: at('2019-08-28T00:00:00Z'), validUntil: at('2019-08-30T00:00:00Z') };
    const r = closeWindow(future, at('2019-08-27T23:00:00Z'), NOW);
    expect(r).toEqual({ ok: false, issues: [{ field: 'endTime', reason: 'must be after startTime' }] });
  });

  it('refuses an end already past', () => {
    const r = closeWindow(open, at('2019-08-27T19:59:59Z'), NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues[0].field).toBe('endTime');
    expect(!r.ok && r.issues[0].reason).toMatch(/future/);
  });

  it('refuses to reopen a notification that has already expired', () => {
    const expired = { startTime: at('2019-08-25T00:00:00Z'), validUntil: at('2019-08-27T00:00:00Z') };
    const r = closeWindow(expired, at('2019-08-28T00:00:00Z'), NOW);
    expect(r).toEqual({ ok: false, issues: [{ field: 'endTime', reason: 'window already closed at 2019-08-27T00:00:00.000Z' }] });
  });
});

describe('isExpired', () => {
  it('is false up to and including validUntil, true after', () => {
    const until = at('2019-08-27T22:04:00Z');
    expect(isExpired(until, at('2019-08-27T22:03:59.999Z'))).toBe(false);
    expect(isExpired(until, until)).toBe(false);
    expect(isExpired(until, at('2019-08-27T22:04:00.001Z'))).toBe(true);
  });
});
