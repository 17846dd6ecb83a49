// One program ('clinic') with an SMS event type ('visit') and one subscriber ('amina') on a running
// Herald, and a POST of that event: the smallest send through the API, for tests about what follows it.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { readOutbox } from '../../src/providers/outbox-file';
import { eventually } from './herald';

export async function seedClinic(herald: RunningHerald): Promise<void> {
  const s = herald.store;
  await s.programs.create('default', { id: 'clinic', name: 'Clinic' });
  await s.eventTypes.create('default', { programId: 'clinic', id: 'visit', name: 'Visit', templates: { sms: { text: 'See you {{data.day}}' } } });
  await s.users.create('default', { id: 'amina', name: 'Amina', phone: '+254700000001' });
  await s.subscriptions.create('default', { id: 's-amina', userId: 'amina', programId: 'clinic', channels: ['sms'] });
}

/** POSTs a visit for `day`; resolves the notification id once it is accepted (202). */
export async function postVisit(herald: RunningHerald, day: string): Promise<string> {
  const res = await request(herald.url!).post('/v1/notifications').send({ programId: 'clinic', eventTypeId: 'visit', startTime: new Date().toISOString(), data: { day } }).expect(202);
  return res.body.id as string;
}

/**
 * Seeds the clinic and sends a first visit while nothing else is set up, waiting until its SMS is in
 * the outbox of `dataDir`: the senders have then read (and cached) what they look up per message.
 */
export async function sendFirstVisit(herald: RunningHerald, dataDir: string): Promise<void> {
  await seedClinic(herald);
  await postVisit(herald, 'Monday');
  await eventually('the first SMS sent', () => readOutbox(dataDir, 'sms').length === 1);
}
