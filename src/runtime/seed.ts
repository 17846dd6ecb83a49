// Demo data so a newcomer's first curl (the brief's examples: program 1, event type "1")
// reaches somebody: SMS only, email only, both, and a user with no phone.
import type { Logger } from '../log/logger';
import { DEFAULT_WORKSPACE } from '../domain/types';
import { MILLI_PER_CREDIT } from '../domain/credits';
import type { Store } from '../store/store';

export const DEMO = {
  /** The default workspace's opening balance, so a newcomer sees credits move. */
  credits: 100,
  program: { id: '1', name: 'Vaccination drive', description: 'Demo program loaded on first start' },
  eventType: {
    id: '1',
    programId: '1',
    name: 'Session scheduled',
    templates: {
      sms: { text: 'Hello {{user.name}}, {{program.name}}: {{eventType.name}} on {{window.startLocal}}{{#if window.endLocal}} until {{window.endLocal}}{{/if}}.' },
      email: {
        subject: '{{program.name}}: {{eventType.name}}',
        text: 'Hello {{user.name}},\n\n{{eventType.name}} on {{window.startLocal}}{{#if window.endLocal}} until {{window.endLocal}}{{/if}}.\n\n{{program.name}}',
        html: '<p>Hello {{user.name}},</p><p><b>{{eventType.name}}</b> on {{window.startLocal}}{{#if window.endLocal}} until {{window.endLocal}}{{/if}}.</p><p>{{program.name}}</p>',
      },
    },
  },
  users: [
    { id: 'amina', name: 'Amina Otieno', phone: '+254700000001', timezone: 'Africa/Nairobi', channels: ['sms'] as const },
    { id: 'ben', name: 'Ben Carter', email: 'ben@example.org', timezone: 'Europe/London', channels: ['email'] as const },
    { id: 'chloe', name: 'Chloe Martin', phone: '+33600000003', email: 'chloe@example.org', timezone: 'Europe/Paris', channels: ['sms', 'email'] as const },
    { id: 'dev', name: 'Dev Patel', phone: '+14155550104', email: 'dev@example.org', channels: ['sms', 'email'] as const },
  ],
};

/** Loads the demo data; with onlyIfEmpty it does nothing when any program exists. Returns whether it loaded. */
export async function seedDemoData(store: Store, logger: Logger, opts: { onlyIfEmpty: boolean }): Promise<boolean> {
  const ws = DEFAULT_WORKSPACE;
  if (opts.onlyIfEmpty && (await store.programs.list(ws, { limit: 1, offset: 0 })).total > 0) return false;
  const { program, eventType, users } = DEMO;
  await store.credits.open(ws, { balance: DEMO.credits * MILLI_PER_CREDIT });
  if (!(await store.programs.get(ws, program.id))) await store.programs.create(ws, program);
  if (!(await store.eventTypes.get(ws, program.id, eventType.id))) await store.eventTypes.create(ws, eventType);
  for (const { channels, ...u } of users) {
    if (!(await store.users.get(ws, u.id))) await store.users.create(ws, u);
    const existing = await store.subscriptions.list(ws, { userId: u.id, programId: program.id }, { limit: 10, offset: 0 });
    if (existing.total === 0) {
      await store.subscriptions.create(ws, { id: `demo-${u.id}`, userId: u.id, programId: program.id, channels: [...channels] });
    }
  }
  logger.info('demo data loaded', { program: program.id, eventType: eventType.id, users: users.length, credits: DEMO.credits });
  return true;
}
