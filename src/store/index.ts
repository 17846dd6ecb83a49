// Picks the store: MongoDB when a URI is configured, else the embedded SQLite file.
import type { Store } from './store';
import { createMongoStore } from './mongo';
import { createSqliteStore } from './sqlite';

export function createStore(opts: { mongodbUri?: string; sqliteFile: string }): Store {
  return opts.mongodbUri ? createMongoStore(opts.mongodbUri) : createSqliteStore(opts.sqliteFile);
}

export type * from './store';
