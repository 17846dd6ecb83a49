// The MongoDB store: its own mongoose connection (never the global default) behind the Store contract.
import mongoose, { type Connection } from 'mongoose';
import { StoreUnavailableError } from '../../domain/errors';
import type {
  ApiKeyRepo, CampaignRepo, ContactListRepo, CreditRepo, EventTypeRepo, IdempotencyRepo, LogRepo, MessageRepo, NotificationRepo, ProgramRepo, ProviderControlRepo, RateLimitRepo, Store,
  SearchRepo, SubscriptionRepo, UsageRepo, UserRepo, WorkspaceRepo,
} from '../store';
import { guardRepo } from '../common';
import { mapMongoError } from './docs';
import { buildModels, type Models } from './models';
import { dropRecipientUsageRows, migrateIndexes, migrateToWorkspaces } from './migrate';
import { eventTypeRepo, programRepo, userRepo } from './repos-catalog';
import { subscriptionRepo } from './repos-subscriptions';
import { notificationRepo } from './repos-notifications';
import { messageRepo } from './repos-messages';
import { logRepo } from './repos-logs';
import { idempotencyRepo } from './repos-idempotency';
import { providerControlRepo } from './repos-provider-control';
import { usageRepo } from './repos-usage';
import { apiKeyRepo, rateLimitRepo, workspaceRepo } from './repos-tenancy';
import { creditRepo } from './repos-credits';
import { searchRepo } from './repos-search';
import { campaignRepo } from './repos-campaigns';
import { contactListRepo } from './repos-contacts';
import { sheetExportRepo } from './repos-sheets';
import type { SheetExportRepo } from '../store-sheets';
import { webhookRepo } from './repos-webhooks';
import type { WebhookRepo } from '../store-webhooks';

/** The driver's bounds (config: store.mongo); the defaults are config/store.ts's. */
export interface MongoStoreOptions {
  serverSelectionTimeoutMs?: number;
  socketTimeoutMs?: number;
}

// Mongoose captures a stack per query only to explain "Query was already executed"; under source maps that is ~1.5 % of a busy worker.
mongoose.set('skipOriginalStackTraces', true);

export class MongoStore implements Store {
  readonly kind = 'mongo' as const;
  private conn: Connection | null = null;
  private models: Models | null = null;
  private readonly m = (): Models => {
    if (!this.models) throw new StoreUnavailableError('mongodb store is not connected');
    return this.models;
  };
  readonly programs: ProgramRepo = guardRepo(programRepo(this.m), mapMongoError);
  readonly eventTypes: EventTypeRepo = guardRepo(eventTypeRepo(this.m), mapMongoError);
  readonly users: UserRepo = guardRepo(userRepo(this.m), mapMongoError);
  readonly subscriptions: SubscriptionRepo = guardRepo(subscriptionRepo(this.m), mapMongoError);
  readonly notifications: NotificationRepo = guardRepo(notificationRepo(this.m), mapMongoError);
  readonly messages: MessageRepo = guardRepo(messageRepo(this.m), mapMongoError);
  readonly logs: LogRepo = guardRepo(logRepo(this.m), mapMongoError);
  readonly idempotencyKeys: IdempotencyRepo = guardRepo(idempotencyRepo(this.m), mapMongoError);
  readonly providerControl: ProviderControlRepo = guardRepo(providerControlRepo(this.m), mapMongoError);
  readonly usage: UsageRepo = guardRepo(usageRepo(this.m), mapMongoError);
  readonly workspaces: WorkspaceRepo = guardRepo(workspaceRepo(this.m), mapMongoError);
  readonly apiKeys: ApiKeyRepo = guardRepo(apiKeyRepo(this.m), mapMongoError);
  readonly rateLimits: RateLimitRepo = guardRepo(rateLimitRepo(this.m), mapMongoError);
  readonly credits: CreditRepo = guardRepo(creditRepo(this.m), mapMongoError);
  readonly search: SearchRepo = guardRepo(searchRepo(this.m), mapMongoError);
  readonly campaigns: CampaignRepo = guardRepo(campaignRepo(this.m), mapMongoError);
  readonly contactLists: ContactListRepo = guardRepo(contactListRepo(this.m), mapMongoError);
  readonly sheetExports: SheetExportRepo = guardRepo(sheetExportRepo(this.m), mapMongoError);
  readonly webhooks: WebhookRepo = guardRepo(webhookRepo(this.m), mapMongoError);

  constructor(
    private readonly uri: string,
    private readonly opts: MongoStoreOptions = {},
  ) {}

  async connect(): Promise<void> {
    if (this.models) return;
    const { serverSelectionTimeoutMs = 1500, socketTimeoutMs = 20_000 } = this.opts;
    const conn = mongoose.createConnection(this.uri, {
      // While MongoDB is away every operation fails after this (StoreUnavailableError -> 503), not 30 s later:
      // an HTTP caller gets its answer in under 2 s; start-up retries on its own (connectWithRetry).
      serverSelectionTimeoutMS: serverSelectionTimeoutMs,
      // A heartbeat or connect that hangs (MongoDB vanished mid-exchange) gives up and is retried:
      // without it the driver's monitor can wait forever and the process never reconnects.
      connectTimeoutMS: Math.min(5000, socketTimeoutMs),
      // An operation whose socket went silent (connection cut mid-request, a server that stopped answering)
      // fails after this instead of holding its caller forever; per round trip, so a long cursor walk
      // (the fan-out's subscriber cursor, an export) is bounded per batch, not as a whole. No connection-wide
      // maxTimeMS: on a cursor it counts the server's work over all its batches, and would cut long walks.
      socketTimeoutMS: socketTimeoutMs,
      // Fail fast instead of queueing operations while the server is away.
      bufferCommands: false,
      autoIndex: false,
      autoCreate: false,
      // Acknowledged by a majority and journaled: an accepted notification survives a crash.
      writeConcern: { w: 'majority', journal: true },
    });
    try {
      await conn.asPromise();
      const models = buildModels(conn);
      await migrateToWorkspaces(models);
      await migrateIndexes(models);
      await dropRecipientUsageRows(models);
      await Promise.all(Object.values(models).map((model) => model.createIndexes()));
      this.conn = conn;
      this.models = models;
    } catch (e) {
      await conn.close().catch(() => undefined);
      const mapped = mapMongoError(e);
      throw mapped instanceof StoreUnavailableError ? mapped : new StoreUnavailableError(`mongodb: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.models = null;
    this.conn = null;
    await conn?.close();
  }

  async ping(): Promise<boolean> {
    try {
      if (!this.conn?.db) return false;
      await this.conn.db.command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  /** Drops the whole database (tests and `herald reset`). */
  async dropDatabase(): Promise<void> {
    await this.conn?.dropDatabase();
  }
}

export function createMongoStore(uri: string, opts?: MongoStoreOptions): MongoStore {
  return new MongoStore(uri, opts);
}
