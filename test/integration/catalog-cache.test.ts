// Programs and event types are cached in every process: a change made through one Herald process
// must reach the others at once (the catalog broadcast), not after the cache time (30 s).
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { requireServices } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';

jest.setTimeout(90_000);

let a: RunningHerald | undefined;
let b: RunningHerald | undefined;

beforeAll(async () => {
  await requireServices(['mongo', 'amqp']);
  // Two servers on one installation (one database, one broker prefix), as behind a load balancer.
  const config = testConfig('real');
  a = await startTestHerald(config, 'all');
  b = await startTestHerald({ ...config, dataDir: testConfig('embedded').dataDir }, 'server');
});

afterAll(async () => {
  await b?.stop();
  await disposeTestHerald(a);
});

const ok = (r: request.Response): request.Response => {
  if (r.status >= 300) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r;
};

async function textsOf(url: string, id: string): Promise<string[]> {
  const r = await request(url).get(`/v1/notifications/${id}/messages`);
  return (r.body.items as Array<{ content: { text: string } }>).map((m) => m.content.text);
}

test('an event type changed or a program deleted through one server is seen at once by the other', async () => {
  const A = request(a!.url!);
  const B = request(b!.url!);
  ok(await A.post('/v1/programs').send({ id: 'cc', name: 'Cache' }));
  ok(await A.post('/v1/programs/cc/event-types').send({ id: 'e', name: 'E', templates: { sms: { text: 'first {{user.name}}' } } }));
  ok(await A.post('/v1/users').send({ id: 'cc-u', name: 'Ann', phone: '+254700000001' }));
  ok(await A.post('/v1/subscriptions').send({ userId: 'cc-u', programId: 'cc', channels: ['sms'] }));
  const post = () => A.post('/v1/notifications').send({ programId: 'cc', eventTypeId: 'e', startTime: new Date().toISOString(), data: {} });

  // Both processes have now read (and cached) the program and its event type.
  const first = ok(await post()).body.id as string;
  expect(await eventually('first message', async () => (await textsOf(a!.url!, first))[0])).toBe('first Ann');
  ok(await B.post('/v1/notifications').send({ programId: 'cc', eventTypeId: 'e', startTime: new Date().toISOString(), data: {} }));

  ok(await B.patch('/v1/programs/cc/event-types/e').send({ templates: { sms: { text: 'second {{user.name}}' } } }));
  const second = ok(await post()).body.id as string;
  expect(await eventually('second message', async () => (await textsOf(a!.url!, second))[0], 10_000)).toBe('second Ann');

  ok(await B.delete('/v1/programs/cc'));
  // Well inside the 30 s a missed signal would take: A refuses the deleted program.
  const refused = await eventually('422 from the other server', async () => {
    const r = await post();
    return r.status === 422 ? r : undefined;
  }, 5_000);
  expect(refused.body.error?.details ?? refused.body.details ?? refused.body).toEqual(expect.anything());
  expect(JSON.stringify(refused.body)).toContain('programId');
});
