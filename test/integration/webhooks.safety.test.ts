// Where a webhook may connect, and how much it waits and reads: names are resolved by Herald and
// every address checked at connect time (a name that turns into 127.0.0.1 is refused), a literal
// private address is refused, a slow answer times out, and a huge answer is not read to the end.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createWebhookPoster } from '../../src/services/webhooks';
import type { Resolver } from '../../src/services/webhooks/address';
import type { RunningHerald } from '../../src/runtime';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

/** DNS as a test wants it: hooks.example.test is 127.0.0.1 (as if its record changed to point inside). */
const resolver: Resolver = (hostname, _options, cb) =>
  hostname === 'hooks.example.test' ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);

let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const body = '{"id":"evt_1"}';
const headers = { 'content-type': 'application/json', 'webhook-id': 'evt_1' };

describe('connect-time address check', () => {
  it('refuses a name that resolves to a loopback address, without connecting, unless private addresses are allowed', async () => {
    const before = receiver.received.length;
    const strict = createWebhookPoster({ allowPrivate: false, timeoutMs: 2000, maxResponseBytes: 1024, resolve: resolver });
    const refused = await strict.post(`http://hooks.example.test:${receiver.port}/hook/dns`, headers, body);
    expect(refused.outcome).toEqual({ kind: 'no-answer', retryable: false, error: expect.stringMatching(/hooks\.example\.test resolves to 127\.0\.0\.1/) });
    expect(receiver.received.length).toBe(before);
    const literal = await strict.post(`http://127.0.0.1:${receiver.port}/hook/dns`, headers, body);
    expect(literal.outcome).toMatchObject({ kind: 'no-answer', retryable: false });
    expect(receiver.received.length).toBe(before);
    await strict.close();

    // Allowed: the connection goes to the address Herald resolved (the name exists nowhere else).
    const open = createWebhookPoster({ allowPrivate: true, timeoutMs: 2000, maxResponseBytes: 1024, resolve: resolver });
    const ok = await open.post(`http://hooks.example.test:${receiver.port}/hook/dns`, headers, body);
    expect(ok.outcome).toMatchObject({ kind: 'answer', status: 200 });
    expect(receiver.received.at(-1)).toMatchObject({ path: '/hook/dns', body });
    await open.close();
  });
});

describe('limits', () => {
  let server: http.Server;
  let port: number;
  let bytesSent = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/slow') return; // never answers
      // An endless body: a poster that read it all would never finish.
      res.writeHead(500, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) bytesSent += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('gives up on an endpoint that does not answer within the timeout (retryable)', async () => {
    const poster = createWebhookPoster({ allowPrivate: true, timeoutMs: 300, maxResponseBytes: 1024 });
    const t0 = Date.now();
    const r = await poster.post(`http://127.0.0.1:${port}/slow`, headers, body);
    expect(r.outcome).toEqual({ kind: 'no-answer', retryable: true, error: 'no answer within 300 ms' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await poster.close();
  });

  it('reads at most the response size cap, keeping the status and the start of the body', async () => {
    const poster = createWebhookPoster({ allowPrivate: true, timeoutMs: 5000, maxResponseBytes: 64 * 1024 });
    const t0 = Date.now();
    const r = await poster.post(`http://127.0.0.1:${port}/huge`, headers, body);
    expect(r.outcome).toMatchObject({ kind: 'answer', status: 500 });
    expect(r.excerpt).toBe('x'.repeat(200));
    expect(Date.now() - t0).toBeLessThan(4000);
    await poster.close();
  });
});

describe('in a running Herald without the operator flag', () => {
  let herald: RunningHerald;
  beforeAll(async () => {
    herald = await startTestHerald(testConfig('embedded', { 'webhooks.pollMs': 50, 'webhooks.endpointCacheMs': 0 }));
    await herald.store.programs.create('default', { id: 'p', name: 'P' });
    await herald.store.eventTypes.create('default', { id: 'e', programId: 'p', name: 'E', templates: { sms: { text: 'Hi' } } });
    await herald.store.users.create('default', { id: 'u', name: 'U', phone: '+254710000001' });
    await herald.store.subscriptions.create('default', { id: 's', userId: 'u', programId: 'p', eventTypeId: 'e', channels: ['sms'] });
  });
  afterAll(() => disposeTestHerald(herald));

  it('an endpoint whose name points inside by the time it is called is refused at connect time, the delivery failed and visible', async () => {
    // Saved when its name was public (stored directly: the API would refuse localhost outright).
    await herald.store.webhooks.createEndpoint({
      workspaceId: 'default', id: 'we_insideByDns0000000000001', url: `http://localhost:${receiver.port}/hook/inside`, events: ['message.sent'], secret: 'whsec_eA==', enabled: true,
    });
    const before = receiver.received.length;
    const r = await request(herald.url!).post('/v1/notifications').send({ programId: 'p', eventTypeId: 'e', startTime: new Date().toISOString() });
    expect(r.status).toBe(202);
    const [d] = await eventually('a failed delivery', async () => {
      const page = await request(herald.url!).get('/v1/webhooks/we_insideByDns0000000000001/deliveries?state=failed');
      return page.body.items.length ? page.body.items : undefined;
    });
    expect(d.lastError).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback, private or link-local address/);
    expect(d.attempts).toHaveLength(1);
    expect(receiver.received.length).toBe(before);
  });
});
