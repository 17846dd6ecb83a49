// The bench's own view of the Mongo database: programs through the Store contract, users and
// subscriptions inserted in big raw batches (the API would take minutes for 100,000), and the
// read-only queries that count what happened to the messages.
import mongoose, { type Connection } from 'mongoose';
import { DEFAULT_WORKSPACE, type MessageStatus } from '../src/domain/types';
import { createMongoStore, type MongoStore } from '../src/store/mongo';
import type { Store } from '../src/store/store';
import { buildModels, type Models } from '../src/store/mongo/models';

const BATCH = 5_000;

export interface BenchDb {
  store: MongoStore;
  models: Models;
  /** A program with one event type whose SMS template is unique per user and per `data.seq`. */
  createProgram(programId: string): Promise<void>;
  /** `count` users subscribed to the program over SMS, ids `<prefix>-000001`..., each with its own phone. */
  subscribe(programId: string, prefix: string, count: number, phoneBase: number): Promise<void>;
  /** Message counts per status, of a notification or a program. */
  countByStatus(match: MessageMatch): Promise<Partial<Record<MessageStatus, number>>>;
  /** The latest sentAt among those messages. */
  lastSentAt(match: MessageMatch): Promise<Date | undefined>;
  close(): Promise<void>;
}

export type MessageMatch = { notificationId: string } | { programId: string };

export const EVENT_TYPE = 'bench';

/** The bench's program and its one SMS event type, in either store. */
export async function createBenchProgram(store: Store, programId: string): Promise<void> {
  await store.programs.create('default', { id: programId, name: `Bench ${programId}` });
  await store.eventTypes.create('default', {
    id: EVENT_TYPE,
    programId,
    name: 'Benchmark',
    templates: { sms: { text: 'Hi {{user.name}}, bench notice {{data.seq}}.' } },
  });
}

export async function openBenchDb(uri: string): Promise<BenchDb> {
  const store = createMongoStore(uri);
  await store.connect();
  const conn: Connection = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000, autoIndex: false }).asPromise();
  const models = buildModels(conn);

  return {
    store,
    models,
    createProgram: (programId) => createBenchProgram(store, programId),
    async subscribe(programId, prefix, count, phoneBase) {
      const now = new Date();
      for (let from = 0; from < count; from += BATCH) {
        const users: Array<Record<string, unknown>> = [];
        const subs: Array<Record<string, unknown>> = [];
        for (let i = from; i < Math.min(count, from + BATCH); i++) {
          const userId = `${prefix}-${String(i + 1).padStart(6, '0')}`;
          // Stored as the store writes them in the default workspace: records without workspaceId are a
          // pre-workspace database, which every Herald process would first migrate at connect.
          users.push({ _id: userId, id: userId, workspaceId: DEFAULT_WORKSPACE, name: `User ${i + 1}`, phone: `+2547${String(phoneBase + i).padStart(8, '0')}`, createdAt: now, updatedAt: now });
          subs.push({ _id: `s-${userId}`, id: `s-${userId}`, workspaceId: DEFAULT_WORKSPACE, userId, programId, scope: '*', channels: ['sms'], createdAt: now, updatedAt: now });
        }
        await models.users.collection.insertMany(users, { ordered: false });
        await models.subscriptions.collection.insertMany(subs, { ordered: false });
      }
    },
    async countByStatus(match) {
      const rows = await models.messages.aggregate<{ _id: MessageStatus; n: number }>([
        { $match: match },
        { $group: { _id: '$status', n: { $sum: 1 } } },
      ]);
      return Object.fromEntries(rows.map((r) => [r._id, r.n]));
    },
    async lastSentAt(match) {
      const [d] = await models.messages.find({ ...match, status: 'sent' }, { sentAt: 1 }).sort({ sentAt: -1 }).limit(1).lean<Array<{ sentAt?: Date }>>();
      return d?.sentAt;
    },
    async close() {
      await conn.close();
      await store.close();
    },
  };
}
