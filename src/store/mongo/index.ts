export { MongoStore, createMongoStore } from './mongo-store';
