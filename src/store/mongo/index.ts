export { MongoStore, createMongoStore, type MongoStoreOptions } from './mongo-store';
