// Picks the store: MongoDB when a URI is configured, else the embedded SQLite file.
import type { Store } from './store';
import { createMongoStore, type MongoStoreOptions } from './mongo';
import { createSqliteStore } from './sqlite';

export function createStore(opts: { mongodbUri?: string; sqliteFile: string; mongo?: MongoStoreOptions }): Store {
  return opts.mongodbUri ? createMongoStore(opts.mongodbUri, opts.mongo) : createSqliteStore(opts.sqliteFile);
}

export type * from './store';
export { StoreTimeoutError, withinStoreTimeout } from './call-timeout';
