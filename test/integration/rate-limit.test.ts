// The rate limit is one budget per key (per client address without a key), shared by every
// server process: two app instances on one store, on both stores.
import express from 'express';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createApp } from '../../src/http/app';
import { createLogger } from '../../src/log/logger';
import { ensureDefaultWorkspace } from '../../src/services/tenancy/workspaces';
import { createMongoStore, type MongoStore } from '../../src/store/mongo';
import { createSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/store';
import { requireServices, uniqueMongoUri } from '../support/services';
import { FakeNotifications } from './http.support';

const ADMIN = 'admin-key-for-rate-limit-tests';
const MAX = 5;

const stores: Array<[string, () => Promise<Store>, (s: Store) => Promise<void>]> = [
  ['sqlite', async () => createSqliteStore(':memory:'), (s) => s.close()],
  [
    'mongo',
    async () => {
      await requireServices(['mongo']);
      return createMongoStore(uniqueMongoUri('herald_ratelimit'));
    },
    async (s) => {
      await (s as MongoStore).dropDatabase();
      await s.close();
    },
  ],
];

describe.each(stores)('rate limit on %s', (_name, makeStore, dispose) => {
  let store: Store;
  let servers: express.Express[];
  beforeAll(async () => {
    store = await makeStore();
    await store.connect();
    await ensureDefaultWorkspace(store);
    const config = loadConfig({}, { 'auth.adminKey': ADMIN, 'rateLimit.max': MAX, 'rateLimit.windowMs': 60_000 });
    // Two processes' apps: nothing shared but the store.
    servers = [0, 1].map(() => createApp({ store, notifications: new FakeNotifications(), config, logger: createLogger('t', { silent: true }) }));
  });
  afterAll(() => dispose(store));

  test('one key spends one budget across both servers, then gets 429 with Retry-After and RateLimit headers', async () => {
    const created = await request(servers[0]).post('/v1/workspaces/default/keys').set('Authorization', `Bearer ${ADMIN}`).send({ role: 'viewer', name: 'v' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const statuses: number[] = [];
    for (let i = 0; i < MAX; i++) {
      const r = await request(servers[i % 2]).get('/v1/programs').set('Authorization', `Bearer ${key}`);
      statuses.push(r.status);
      expect(r.headers.ratelimit).toMatch(new RegExp(`remaining=${MAX - 1 - i}`));
    }
    expect(statuses).toEqual(Array(MAX).fill(200));
    const over = await request(servers[1]).get('/v1/programs').set('Authorization', `Bearer ${key}`);
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.headers['ratelimit-policy']).toMatch(new RegExp(`^${MAX};w=60`));
    // Another key has its own budget.
    const other = await request(servers[0]).post('/v1/workspaces/default/keys').set('Authorization', `Bearer ${ADMIN}`).send({ role: 'viewer', name: 'w' });
    expect((await request(servers[0]).get('/v1/programs').set('Authorization', `Bearer ${other.body.key}`)).status).toBe(200);
  });

  test('requests without a valid key count against the client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= MAX; i++) statuses.push((await request(servers[i % 2]).get('/v1/users').set('Authorization', 'Bearer wrong')).status);
    expect(statuses).toEqual([...Array(MAX).fill(401), 429]);
  });
});
