// Store contract: an event type's template sets, recipient paths and rules, and a notification's
// recipients and rule outcome, read back exactly as written (JSON Logic with nulls, arrays,
// numbers and booleans included), and removed by a patch of undefined.
import type { NewNotification } from '../../src/store/store';
import type { StoreRef } from './store.contract.helpers';

const rules = [
  {
    id: 'overspend',
    description: 'savings above income',
    when: { and: [{ '>': [{ var: 'data.monthly_savings' }, { var: 'data.monthly_income' }] }, { '!=': [{ var: ['data.note', null] }, 'test'] }, true, 1.5] },
    recipients: [{ phone: 'data.collector_phone', template: 'flagged' }],
  },
  { id: 'test', when: { in: ['test', [{ var: 'data.tags' }, 'x']] }, action: 'skip' as const },
];
const templateSets = { flagged: { sms: { text: 'Flagged: {{data.respondent_name}}' } }, mail: { email: { subject: 'S', text: 'T' } } };
const recipientPaths = [{ phone: 'data.respondent_phone', email: 'data.respondent.email', name: 'data.respondent_name' }];

export function rulesContract(s: StoreRef): void {
  describe('event type rules', () => {
    it('keeps template sets, recipient paths and rules exactly, and removes them with undefined', async () => {
      const e = await s().eventTypes.create('default', { programId: 'p1', id: 'e1', name: 'Response', templates: {}, templateSets, recipientPaths, rules });
      expect(e).toMatchObject({ templateSets, recipientPaths, rules });
      const got = await s().eventTypes.get('default', 'p1', 'e1');
      expect(got).toEqual(e);
      expect((await s().eventTypes.list('default', 'p1', { limit: 10, offset: 0 })).items[0]).toEqual(e);
      const changed = await s().eventTypes.update('default', 'p1', 'e1', { rules: [rules[1]], templateSets: undefined });
      expect(changed!.rules).toEqual([rules[1]]);
      expect(changed).not.toHaveProperty('templateSets');
      expect(changed!.recipientPaths).toEqual(recipientPaths);
      const plain = await s().eventTypes.create('default', { programId: 'p1', id: 'e2', name: 'Plain', templates: {} });
      expect(Object.keys(plain).sort()).toEqual(['createdAt', 'id', 'name', 'programId', 'templates', 'updatedAt', 'workspaceId']);
    });
  });

  describe('notification recipients and rule outcome', () => {
    const base = (id: string, extra: Partial<NewNotification> = {}): NewNotification => ({
      id, workspaceId: 'default', programId: 'p1', eventTypeId: 'e1', startTime: new Date('2030-01-01T00:00:00Z'),
      validUntil: new Date('2030-01-03T00:00:00Z'), data: { a: 1 }, status: 'accepted', source: 'api', dispatch: { messages: 0 }, ...extra,
    });

    it('reads recipients and matched rules back, absent when never set, and keeps them through transitions', async () => {
      const recipients = [
        { phone: '+254712345678', name: 'Guest', data: { seat: '14B', nested: { n: null, list: [1, 'two'] } }, via: 'request' },
        { email: 'a@example.org', via: 'request' },
        { phone: '+254700000102', template: 'flagged', via: 'rule:overspend' },
      ];
      const created = await s().notifications.create(base('n1', { recipients, rules: { matched: ['overspend'], template: 'flagged' }, subscribers: false }));
      expect(created).toMatchObject({ recipients, rules: { matched: ['overspend'], template: 'flagged' }, subscribers: false });
      expect(await s().notifications.get('n1')).toEqual(created);
      const moved = await s().notifications.transition('n1', ['accepted'], 'dispatching', { dispatch: { messages: 0, startedAt: new Date() } });
      expect(moved).toMatchObject({ recipients, rules: { matched: ['overspend'], template: 'flagged' } });
      const listed = (await s().notifications.list({ workspaceId: 'default' }, { limit: 10, offset: 0 })).items[0];
      expect(listed.recipients).toEqual(recipients);

      await s().notifications.create(base('n2', { rules: { matched: [], skip: undefined } }));
      const none = await s().notifications.create(base('n3'));
      expect(none).not.toHaveProperty('recipients');
      expect(none).not.toHaveProperty('rules');
      expect(none).not.toHaveProperty('subscribers');
      expect((await s().notifications.get('n2'))!.rules).toEqual({ matched: [] });
    });
  });
}
