// `herald all` with a sender thread: a webhook endpoint created through the API reaches the thread at
// once, so the events of the next message (its `message.sent` is emitted where it ends, in the thread)
// are delivered at once, not only by the catch-up sweep after the thread's endpoint cache expired.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { postVisit, sendFirstVisit } from '../support/clinic';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

jest.setTimeout(60_000);

let herald: RunningHerald | undefined;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await disposeTestHerald(herald);
  await receiver.close();
});

test('the first message after an endpoint is created has its sent event delivered', async () => {
  // Both a cached endpoint list and the catch-up sweep last longer than the test waits: only news of the endpoint delivers the event.
  const config = testConfig('embedded', {
    'worker.senderThreads': 1,
    'webhooks.allowPrivate': true,
    'webhooks.pollMs': 50,
    'webhooks.endpointCacheMs': 120_000,
    'webhooks.sweepLagMs': 120_000,
  });
  herald = await startTestHerald(config);
  const api = request(herald.url!);
  const post = (day: string) => postVisit(herald!, day);
  // A message sent while there is no endpoint: the sender thread reads the (empty) list of endpoints.
  await sendFirstVisit(herald, config.dataDir);
  await api.post('/v1/webhooks').send({ url: `${receiver.url}/all` }).expect(201);
  const second = await post('Tuesday');
  const messageId = `${second}:amina:sms`;
  const sent = await eventually('message.sent of the second message', () => receiver.received.find((r) => r.json?.type === 'message.sent' && r.json?.data?.messageId === messageId), 15_000);
  expect(sent.json.data).toMatchObject({ status: 'sent', messageId });
});
