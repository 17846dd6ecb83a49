// /health/live and /health/ready on the server and on a worker's own port: readiness turns 503,
// naming the part, while RabbitMQ or MongoDB is cut off (a TCP proxy in front), and 200 again after.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { isLoopback } from '../../src/http/access';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { AMQP_URL, MONGO_BASE_URI, requireServices, uniqueMongoUri } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';
import { parseMetrics } from '../support/metrics';

jest.setTimeout(90_000);

const via = (uri: string, port: number) => {
  const u = new URL(uri);
  u.port = String(port);
  return u.toString();
};

describe('liveness and readiness on the server and a worker', () => {
  let mongo: TcpProxy;
  let rabbit: TcpProxy;
  let server: RunningHerald;
  let worker: RunningHerald;

  beforeAll(async () => {
    await requireServices(['mongo', 'amqp']);
    const m = new URL(MONGO_BASE_URI);
    const a = new URL(AMQP_URL);
    mongo = await startTcpProxy({ host: m.hostname, port: Number(m.port || 27017) });
    rabbit = await startTcpProxy({ host: a.hostname, port: Number(a.port || 5672) });
    const config = testConfig('real', { mongodbUri: via(uniqueMongoUri(), mongo.port), amqpUrl: via(AMQP_URL, rabbit.port) });
    server = await startTestHerald(config, 'server');
    worker = await startTestHerald(config, 'sms');
  });
  afterAll(async () => {
    await mongo?.restore();
    await rabbit?.restore();
    await disposeTestHerald(worker);
    await disposeTestHerald(server);
    await mongo?.close();
    await rabbit?.close();
  });

  const ready = (url: string) => request(url).get('/health/ready');
  const urls = () => [server.url!, worker.opsUrl!];

  async function expectAll(status: number, down: string[]): Promise<void> {
    for (const url of urls()) {
      await eventually(`${url} ready ${status}`, async () => (await ready(url)).status === status, 30_000, 250);
      const r = await ready(url);
      expect(r.body).toMatchObject({ status: status === 200 ? 'ready' : 'unavailable', down });
      expect((await request(url).get('/health/live')).status).toBe(200);
    }
  }

  it('is ready with everything up, 503 naming the bus or the store while it is cut, ready again after', async () => {
    expect(worker.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(worker.opsUrl).not.toMatch(/:9090$/);
    await expectAll(200, []);
    expect((await ready(server.url!)).body.checks).toEqual({ store: 'up', bus: 'up', providers: 'up' });

    await rabbit.cut();
    await expectAll(503, ['bus']);
    expect((await ready(worker.opsUrl!)).headers['retry-after']).toBeDefined();
    await rabbit.restore();
    await expectAll(200, []);

    await mongo.cut();
    await expectAll(503, ['store']);
    await mongo.restore();
    await expectAll(200, []);
  });

  it("serves the worker's metrics on its own port, parseable", async () => {
    const r = await request(worker.opsUrl!).get('/metrics');
    expect(r.status).toBe(200);
    const names = new Set(parseMetrics(r.text).map((s) => s.name));
    for (const n of ['herald_circuit_state', 'herald_messages_in_flight', 'process_resident_memory_bytes']) expect(names).toContain(n);
    expect((await request(worker.opsUrl!).get('/v1/usage')).status).toBe(404);
  });

  it('keeps /metrics on the API port to loopback callers', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([true, true, true]);
    expect(['10.0.0.5', '::ffff:172.17.0.1', '192.168.1.2', undefined].map(isLoopback)).toEqual([false, false, false, false]);
  });
});
