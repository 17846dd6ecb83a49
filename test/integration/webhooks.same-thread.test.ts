// Two roles started side by side in one thread (`herald server` and `herald worker sms` in one
// process): a webhook endpoint created through the server's API reaches the worker's endpoint cache
// at once, so the events of the next message (its `message.sent` is emitted by the worker, where it
// ends) are delivered at once, not only by the catch-up sweep after the worker's cache expired.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { postVisit, sendFirstVisit } from '../support/clinic';
import { eventually, startTestHerald, testConfig } from '../support/herald';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

jest.setTimeout(60_000);

let server: RunningHerald | undefined;
let worker: RunningHerald | undefined;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await worker?.stop();
  await server?.stop();
  await receiver.close();
});

test('an endpoint created through one role is news for the other role of the same thread', async () => {
  // Both a cached endpoint list and the catch-up sweep last longer than the test waits: only news of the endpoint delivers the event.
  const config = testConfig('embedded', {
    'webhooks.allowPrivate': true,
    'webhooks.pollMs': 50,
    'webhooks.endpointCacheMs': 120_000,
    'webhooks.sweepLagMs': 120_000,
  });
  server = await startTestHerald(config, 'server');
  worker = await startTestHerald(config, 'sms');
  const post = (day: string) => postVisit(server!, day);
  // A message sent while there is no endpoint: the worker reads the (empty) list of endpoints.
  await sendFirstVisit(server, config.dataDir);
  await request(server.url!).post('/v1/webhooks').send({ url: `${receiver.url}/all` }).expect(201);
  const second = await post('Tuesday');
  const messageId = `${second}:amina:sms`;
  const sent = await eventually('message.sent of the second message', () => receiver.received.find((r) => r.json?.type === 'message.sent' && r.json?.data?.messageId === messageId), 15_000);
  expect(sent.json.data).toMatchObject({ status: 'sent', messageId });
});
