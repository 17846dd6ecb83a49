// Rules on an event's data (src/domain/rules.ts): what counts as reading a missing field, what
// holds, and that a rule never throws; recipient keys (src/domain/recipients.ts).
import { checkLogic, evaluateRules, pathsRead } from '../../src/domain/rules';
import { recipientKey } from '../../src/domain/recipients';
import type { Rule } from '../../src/domain/types';

const rule = (when: unknown, extra: Partial<Rule> = {}): Rule => ({ id: 'r', when, ...extra });

describe('pathsRead', () => {
  test('lists the event paths a condition reads without a default, not those of per-element logic', () => {
    const when = {
      and: [
        { '>': [{ var: 'data.a' }, { var: ['data.b', 0] }] },
        { some: [{ var: 'data.items' }, { '>=': [{ var: 'qty' }, 1] }] },
        { missing: ['data.c'] },
      ],
    };
    expect(pathsRead(when)).toEqual(['data.a', 'data.items']);
    expect(checkLogic(when, 'when')).toEqual([]);
  });
});

describe('evaluateRules', () => {
  const survey = rule({ '>': [{ var: 'data.monthly_savings' }, { var: 'data.monthly_income' }] }, { id: 'overspend' });

  test('holds on the data and records the rule', () => {
    expect(evaluateRules([survey], { monthly_savings: 15000, monthly_income: 12000 })).toMatchObject({ matched: ['overspend'], warnings: [] });
    expect(evaluateRules([survey], { monthly_savings: 1, monthly_income: 12000 })).toMatchObject({ matched: [], warnings: [] });
  });

  test('a field the event lacks (absent or null) makes the rule false with a warning, whatever the operator would say', () => {
    // Without the check, null > -1 would hold in JavaScript.
    const r = rule({ '>': [{ var: 'data.x' }, -1] });
    expect(evaluateRules([r], {})).toEqual({ matched: [], skippedBy: [], recipients: [], warnings: ["rule 'r' is false: it reads data.x, which the event lacks"] });
    expect(evaluateRules([r], { x: null }).matched).toEqual([]);
    expect(evaluateRules([rule({ '>': [{ var: ['data.x', 0] }, -1] })], {})).toMatchObject({ matched: ['r'], warnings: [] });
  });

  test('a rule that fails while evaluating is false with a warning, and the rules after it still run', () => {
    const throws = rule({ cat: [{ var: 'data.o' }] }, { id: 'bad' });
    const ok = rule(true, { id: 'ok' });
    const out = evaluateRules([throws, ok], { o: { toString: 1, valueOf: 1 } });
    expect(out.matched).toEqual(['ok']);
    expect(out.warnings).toEqual([expect.stringMatching(/^rule 'bad' is false: it could not be evaluated/)]);
  });

  test('a stored rule that is not valid JSON Logic is never run', () => {
    expect(evaluateRules([rule({ log: 'leak' })], {}).warnings).toEqual(["rule 'r' is false: it could not be evaluated (the rule is not valid JSON Logic)"]);
  });

  test('collects skip rules, the first template and rule recipients in order', () => {
    const out = evaluateRules(
      [rule(true, { id: 'a', template: 't1', recipients: [{ phone: 'data.p' }] }), rule(true, { id: 'b', template: 't2' }), rule(true, { id: 'c', action: 'skip' })],
      {},
    );
    expect(out).toMatchObject({ matched: ['a', 'b', 'c'], skippedBy: ['c'], template: 't1', recipients: [{ rule: 'a', path: { phone: 'data.p' } }] });
  });
});

test('recipient keys are stable, hide the address, ignore the case of an email, and differ per address', () => {
  const k = recipientKey('sms', '+254712345678');
  expect(k).toMatch(/^rcpt-[0-9a-f]{24}$/);
  expect(k).not.toContain('254712345678');
  expect(recipientKey('sms', '+254712345678')).toBe(k);
  expect(recipientKey('email', 'Ann@Example.org')).toBe(recipientKey('email', 'ann@example.org'));
  expect(recipientKey('sms', '+254712345679')).not.toBe(k);
});

describe('checkLogic', () => {
  test('checks the literal paths of missing and missing_some like a var', () => {
    expect(checkLogic({ missing: ['data.a', 'b'] }, 'when')).toEqual([{ field: 'when.missing[1]', reason: expect.stringMatching(/starting with 'data\./) }]);
    expect(checkLogic({ missing: [['data.a', 'b']] }, 'when')).toEqual([{ field: 'when.missing[0][1]', reason: expect.stringMatching(/starting with 'data\./) }]);
    expect(checkLogic({ missing_some: [1, ['data.a', 'data..b']] }, 'when')).toEqual([{ field: 'when.missing_some[1][1]', reason: expect.stringMatching(/empty segments/) }]);
    expect(checkLogic({ missing: 'data.a' }, 'when')).toEqual([]);
  });

  test('a var reads what json-logic-js reads: the length of a string is present', () => {
    expect(evaluateRules([rule({ '>': [{ var: 'data.name.length' }, 3] })], { name: 'Amina' })).toMatchObject({ matched: ['r'], warnings: [] });
  });
});
