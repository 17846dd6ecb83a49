// The embedded store: one SQLite file (WAL, synchronous=FULL) behind the Store contract.
import type {
  ApiKeyRepo, CampaignRepo, ContactListRepo, CreditRepo, EventTypeRepo, IdempotencyRepo, LogRepo, MessageRepo, NotificationRepo, ProgramRepo, ProviderControlRepo, RateLimitRepo, Store,
  SearchRepo, SubscriptionRepo, UsageRepo, UserRepo, WorkspaceRepo,
} from '../store';
import { HeraldError, StoreUnavailableError } from '../../domain/errors';
import { guardRepo } from '../common';
import { mapSqliteError, Sql } from './db';
import { openDatabase } from './schema';
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

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly sql = new Sql();
  readonly programs: ProgramRepo = guardRepo(programRepo(this.sql), mapSqliteError);
  readonly eventTypes: EventTypeRepo = guardRepo(eventTypeRepo(this.sql), mapSqliteError);
  readonly users: UserRepo = guardRepo(userRepo(this.sql), mapSqliteError);
  readonly subscriptions: SubscriptionRepo = guardRepo(subscriptionRepo(this.sql), mapSqliteError);
  readonly notifications: NotificationRepo = guardRepo(notificationRepo(this.sql), mapSqliteError);
  readonly messages: MessageRepo = guardRepo(messageRepo(this.sql), mapSqliteError);
  readonly logs: LogRepo = guardRepo(logRepo(this.sql), mapSqliteError);
  readonly idempotencyKeys: IdempotencyRepo = guardRepo(idempotencyRepo(this.sql), mapSqliteError);
  readonly providerControl: ProviderControlRepo = guardRepo(providerControlRepo(this.sql), mapSqliteError);
  readonly usage: UsageRepo = guardRepo(usageRepo(this.sql), mapSqliteError);
  readonly workspaces: WorkspaceRepo = guardRepo(workspaceRepo(this.sql), mapSqliteError);
  readonly apiKeys: ApiKeyRepo = guardRepo(apiKeyRepo(this.sql), mapSqliteError);
  readonly rateLimits: RateLimitRepo = guardRepo(rateLimitRepo(this.sql), mapSqliteError);
  readonly credits: CreditRepo = guardRepo(creditRepo(this.sql), mapSqliteError);
  readonly search: SearchRepo = guardRepo(searchRepo(this.sql), mapSqliteError);
  readonly campaigns: CampaignRepo = guardRepo(campaignRepo(this.sql), mapSqliteError);
  readonly contactLists: ContactListRepo = guardRepo(contactListRepo(this.sql), mapSqliteError);
  readonly sheetExports: SheetExportRepo = guardRepo(sheetExportRepo(this.sql), mapSqliteError);
  readonly webhooks: WebhookRepo = guardRepo(webhookRepo(this.sql), mapSqliteError);

  constructor(readonly file: string) {}

  async connect(): Promise<void> {
    if (this.sql.db?.open) return;
    try {
      this.sql.db = openDatabase(this.file);
    } catch (e) {
      const mapped = mapSqliteError(e);
      throw mapped instanceof HeraldError ? mapped : new StoreUnavailableError(`sqlite: cannot open ${this.file}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.sql.close();
  }

  async ping(): Promise<boolean> {
    try {
      return this.sql.get<{ ok: number }>('SELECT 1 AS ok')?.ok === 1;
    } catch {
      return false;
    }
  }
}

/** `file` is a path (its folder is created) or ':memory:'. Call connect() before use. */
export function createSqliteStore(file: string): SqliteStore {
  return new SqliteStore(file);
}
