// MongoDB unreachable (a TCP proxy in front of the test server, cut): POST answers 503
// STORE_UNAVAILABLE with Retry-After within about 2 s instead of hanging or accepting, health
// says 503, and everything works again once MongoDB is back.
import request from 'supertest';
import type { RunningHerald } from '../../src/runtime';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { MONGO_BASE_URI, requireServices, uniqueMongoUri } from '../support/services';
import { disposeTestHerald, eventually, startTestHerald, testConfig } from '../support/herald';

jest.setTimeout(60_000);

const V1 = () => ({ programId: '1', eventTypeId: '1', startTime: new Date().toISOString(), data: {} });
const LEGACY = { start_time: '08/27/2019 21:04', end_time: '08/27/2019 22:04', program_id: 1, event_type_id: '1' };

describe('MongoDB unreachable', () => {
  let proxy: TcpProxy;
  let herald: RunningHerald;
  let directUri: string;

  beforeAll(async () => {
    await requireServices(['mongo', 'amqp']);
    const base = new URL(MONGO_BASE_URI);
    proxy = await startTcpProxy({ host: base.hostname, port: Number(base.port || 27017) });
    directUri = uniqueMongoUri();
    const viaProxy = new URL(directUri);
    viaProxy.port = String(proxy.port);
    herald = await startTestHerald(testConfig('real', { mongodbUri: viaProxy.toString() }));
    await herald.store.programs.create('default', { id: '1', name: 'Survey' });
    await herald.store.eventTypes.create('default', { id: '1', programId: '1', name: 'Form', templates: { sms: { text: 'hi' } } });
  });
  afterAll(async () => {
    await proxy?.restore();
    await disposeTestHerald(herald);
    await proxy?.close();
  });

  const timed = async (r: Promise<request.Response>) => {
    const t0 = Date.now();
    const res = await r;
    return { res, ms: Date.now() - t0 };
  };

  it('answers 503 with Retry-After quickly on both doors and on /health, stores nothing, and recovers', async () => {
    const api = () => request(herald.url!);
    expect((await api().post('/v1/notifications').send(V1())).status).toBe(202);
    const before = (await herald.store.notifications.list({ workspaceId: 'default' }, { limit: 1, offset: 0 })).total;

    await proxy.cut();
    for (const call of [
      () => api().post('/v1/notifications').send(V1()),
      () => api().post('/v1/notifications').set('Idempotency-Key', 'during-outage').send(V1()),
      () => api().post('/').set('Content-type', 'application/json').send(JSON.stringify(LEGACY)),
    ]) {
      const { res, ms } = await timed(call());
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('STORE_UNAVAILABLE');
      expect(res.headers['retry-after']).toBeDefined();
      expect(ms).toBeLessThan(2_500);
    }
    const health = await timed(api().get('/health'));
    expect(health.res.status).toBe(503);
    expect(health.res.body).toEqual({ status: 'unavailable', store: false });
    expect(health.ms).toBeLessThan(2_500);

    await proxy.restore();
    await eventually('health back to 200', async () => (await api().get('/health')).status === 200, 20_000, 250);
    const after = await api().post('/v1/notifications').set('Idempotency-Key', 'during-outage').send(V1());
    expect(after.status).toBe(202);
    // Nothing from the outage was stored: only the one accepted now was added.
    expect((await herald.store.notifications.list({ workspaceId: 'default' }, { limit: 1, offset: 0 })).total).toBe(before + 1);
  });
});
