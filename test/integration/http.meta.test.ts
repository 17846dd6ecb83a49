// The OpenAPI document, /docs, the consolidated log endpoint and extra routers.
import express from 'express';
import request from 'supertest';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { fieldsOf, makeApp, type TestApp } from './http.support';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(async () => {
  await t.store.close();
});

const EVERY_ROUTE = [
  'post /v1/sms/estimate',
  'post /v1/programs', 'get /v1/programs', 'get /v1/programs/{programId}', 'patch /v1/programs/{programId}', 'delete /v1/programs/{programId}',
  'post /v1/programs/{programId}/event-types', 'get /v1/programs/{programId}/event-types',
  'get /v1/programs/{programId}/event-types/{eventTypeId}', 'patch /v1/programs/{programId}/event-types/{eventTypeId}',
  'delete /v1/programs/{programId}/event-types/{eventTypeId}',
  'post /v1/users', 'get /v1/users', 'get /v1/users/{userId}', 'patch /v1/users/{userId}', 'delete /v1/users/{userId}',
  'post /v1/subscriptions', 'get /v1/subscriptions', 'get /v1/subscriptions/{id}', 'patch /v1/subscriptions/{id}', 'delete /v1/subscriptions/{id}',
  'post /v1/notifications', 'get /v1/notifications', 'get /v1/notifications/{id}', 'patch /v1/notifications/{id}',
  'get /v1/notifications/{id}/messages', 'post /v1/notifications/{id}/cancel',
  'get /v1/logs', 'post /', 'get /', 'get /health', 'get /openapi.json',
  'get /v1/usage', 'get /v1/programs/{id}/usage', 'get /v1/users/{id}/usage',
  'get /v1/notifications/{id}/messages.csv', 'get /v1/campaigns/{id}/messages.csv', 'get /v1/exports/messages.csv',
  'post /v1/programs/{programId}/exports', 'get /v1/programs/{programId}/exports', 'get /v1/programs/{programId}/exports/{exportId}',
  'delete /v1/programs/{programId}/exports/{exportId}', 'post /v1/programs/{programId}/exports/{exportId}/resume',
  'post /v1/workspaces', 'get /v1/workspaces', 'get /v1/workspaces/{workspaceId}',
  'post /v1/workspaces/{workspaceId}/keys', 'get /v1/workspaces/{workspaceId}/keys', 'delete /v1/workspaces/{workspaceId}/keys/{keyId}',
  'post /v1/webhooks', 'get /v1/webhooks', 'get /v1/webhooks/{webhookId}', 'patch /v1/webhooks/{webhookId}', 'delete /v1/webhooks/{webhookId}',
  'post /v1/webhooks/{webhookId}/rotate', 'get /v1/webhooks/{webhookId}/deliveries', 'post /v1/webhooks/{webhookId}/deliveries/{deliveryId}/replay',
];

type Json = Record<string, any>;

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) if (k === '$ref' && typeof v === 'string') out.push(v); else refsIn(v, out);
  }
  return out;
}

describe('GET /openapi.json', () => {
  test('is an OpenAPI 3.0.x JSON document listing every route with its schemas', async () => {
    const r = await request(t.app).get('/openapi.json');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/json/);
    const doc = JSON.parse(r.text) as Json;
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Herald' });
    const listed = Object.entries(doc.paths as Json).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(listed.sort()).toEqual([...EVERY_ROUTE].sort());

    for (const ref of refsIn(doc)) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty(ref.split('/').pop()!);
    }
    for (const [p, ops] of Object.entries(doc.paths as Json)) {
      for (const [m, op] of Object.entries(ops as Json)) {
        expect(Object.keys(op.responses).length).toBeGreaterThan(1);
        expect(op.responses['400']).toBeDefined();
        // Actions on a resource named in the path take no body.
        if (m === 'post' && !/\/(cancel|resume|rotate|replay)$/.test(p)) expect(op.requestBody.content['application/json'].schema).toBeDefined();
      }
    }
  });

  test('is generated from the validating schemas: strictness, enums, limits and the Idempotency-Key', async () => {
    const doc = (await request(t.app).get('/openapi.json')).body as Json;
    const schemas = doc.components.schemas as Json;
    expect(schemas.NotificationCreate.additionalProperties).toBe(false);
    expect(schemas.NotificationCreate.required).toEqual(['programId', 'eventTypeId', 'startTime']);
    expect(schemas.SubscriptionCreate.properties.channels.items.enum).toEqual(['sms', 'email']);
    expect(schemas.LegacyNotification.required).toEqual(['start_time', 'program_id', 'event_type_id']);
    const post = doc.paths['/v1/notifications'].post;
    expect(post.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/NotificationAccepted' });
    expect(post.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]));
    const limit = doc.paths['/v1/programs'].get.parameters.find((p: Json) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ maximum: 500, default: 50 });
    const logLimit = doc.paths['/v1/logs'].get.parameters.find((p: Json) => p.name === 'limit');
    expect(logLimit.schema).toMatchObject({ maximum: 1000, default: 200 });
  });
});

test('/docs serves the Swagger UI page', async () => {
  const r = await request(t.app).get('/docs').redirects(1);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/text\/html/);
  expect(r.text).toContain('swagger-ui');
  const init = await request(t.app).get('/docs/swagger-ui-init.js');
  expect(init.status).toBe(200);
  expect(init.text).toContain('/v1/notifications');
});

describe('GET /v1/logs', () => {
  beforeEach(async () => {
    const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
    await t.store.logs.append([
      { time: at(1), level: 'info', process: 'dispatch', message: 'accepted', notificationId: 'n1' },
      { time: at(2), level: 'debug', process: 'sms-worker', message: 'sending', notificationId: 'n1', messageId: 'n1:u1:sms' },
      { time: at(3), level: 'error', process: 'sms-worker', message: 'failed', notificationId: 'n1', messageId: 'n1:u1:sms' },
      { time: at(4), level: 'warn', process: 'dispatch', message: 'other', notificationId: 'n2' },
    ]);
  });

  test('filters by notification, message, level, process, time and seq, oldest first', async () => {
    const all = await request(t.app).get('/v1/logs');
    expect(all.status).toBe(200);
    expect(all.body.items.map((l: Json) => l.message)).toEqual(['accepted', 'sending', 'failed', 'other']);
    expect(all.body.items[0].time).toBe('2030-01-01T00:00:01.000Z');
    const msgs = (q: string) => request(t.app).get(`/v1/logs?${q}`).then((r) => r.body.items.map((l: Json) => l.message));
    expect(await msgs('notificationId=n1')).toEqual(['accepted', 'sending', 'failed']);
    expect(await msgs('messageId=n1:u1:sms')).toEqual(['sending', 'failed']);
    expect(await msgs('level=warn')).toEqual(['failed', 'other']);
    expect(await msgs('process=dispatch')).toEqual(['accepted', 'other']);
    expect(await msgs('since=2030-01-01T00:00:03Z')).toEqual(['failed', 'other']);
    expect(await msgs('limit=2')).toHaveLength(2);
    const seq = all.body.items[1].seq as number;
    expect(await msgs(`afterSeq=${seq}`)).toEqual(['failed', 'other']);
  });

  test('bad filters are 400 naming each', async () => {
    const r = await request(t.app).get('/v1/logs?level=loud&since=yesterday&afterSeq=-1&limit=1001');
    expect(r.status).toBe(400);
    expect(fieldsOf(r.body).sort()).toEqual(['afterSeq', 'level', 'limit', 'since']);
  });
});

test('extra routers are mounted under /v1 and read the raw body themselves', async () => {
  const router = express.Router();
  router.post('/callback', express.urlencoded({ extended: false }), (req, res) => {
    res.json({ got: req.body });
  });
  const app = createApp({
    store: t.store, notifications: t.notifications, config: t.config, logger: createLogger('t', { silent: true }),
    extraRoutes: [{ path: '/webhooks/test', access: 'open', router }],
  });
  const r = await request(app).post('/v1/webhooks/test/callback').type('form').send('MessageStatus=delivered');
  expect(r.body).toEqual({ got: { MessageStatus: 'delivered' } });
  expect((await request(app).get('/v1/webhooks/test/nothing')).status).toBe(404);
});
