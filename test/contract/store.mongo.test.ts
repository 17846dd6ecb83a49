// The store contract against MongoDB (the test server, or MONGODB_URI).
import mongoose from 'mongoose';
import { StoreUnavailableError } from '../../src/domain/errors';
import { createMongoStore, type MongoStore } from '../../src/store/mongo';
import { createStore } from '../../src/store';
import type { Store } from '../../src/store/store';
import { requireServices, uniqueMongoUri } from '../support/services';
import { describeStoreContract } from './store.contract';

const uris: string[] = [];

beforeAll(async () => {
  await requireServices(['mongo']);
});

// Each test drops its own database; this catches any a failing test left behind.
afterAll(async () => {
  for (const uri of uris) {
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
    await conn.dropDatabase();
    await conn.close();
  }
});

describeStoreContract(
  'mongo',
  async () => {
    const uri = uniqueMongoUri('herald_store');
    uris.push(uri);
    const store = createMongoStore(uri);
    await store.connect();
    return store;
  },
  async (store: Store) => {
    await (store as MongoStore).dropDatabase();
    await store.close();
  },
);

describe('MongoDB store', () => {
  it('is chosen by createStore when a URI is given', () => {
    expect(createStore({ mongodbUri: uniqueMongoUri(), sqliteFile: ':memory:' }).kind).toBe('mongo');
  });

  it('fails to connect to an unreachable server with StoreUnavailableError', async () => {
    const store = createMongoStore('mongodb://127.0.0.1:1/herald_nowhere?serverSelectionTimeoutMS=500');
    await expect(store.connect()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).resolves.toBe(false);
  });

  it('keeps records across a reconnect to the same database', async () => {
    const uri = uniqueMongoUri('herald_store');
    uris.push(uri);
    const first = createMongoStore(uri);
    await first.connect();
    await first.programs.create({ id: 'p1', name: 'P' });
    await first.close();
    const second = createMongoStore(uri);
    await second.connect();
    expect(await second.programs.get('p1')).toMatchObject({ id: 'p1', name: 'P' });
    await second.close();
  });
});
