// The storage contract. MongoDB and the embedded SQLite store implement it; the conformance
// suite in test/contract/store.contract.ts runs against both.
import type { ApiKeyRepo, RateLimitRepo, WorkspaceRepo } from './tenancy';
import type {
  Channel,
  EventType,
  Message,
  MessageStatus,
  Notification,
  NotificationStatus,
  Page,
  PageQuery,
  Program,
  Subscriber,
  Subscription,
  User,
} from '../domain/types';
import type { CreditRepo } from './store-credits';

export type { BalanceMovement, CreditRepo, ReserveItem } from './store-credits';
import type { UsageRepo } from './store-usage';
import type { ProviderControlRepo } from './store-provider-control';
import type { SearchRepo } from './store-search';
import type { CampaignRepo } from './store-campaigns';
import type { ContactListRepo } from './store-contacts';
export type { ContactListRepo, NewContactList } from './store-contacts';

export type { CampaignFilter, CampaignPatch, CampaignRepo, NewCampaign, NewImport } from './store-campaigns';
import type { SheetExportRepo } from './store-sheets';
import type { WebhookRepo } from './store-webhooks';
import type { LogRepo } from './store-logs';
import type { IdempotencyRepo } from './store-idempotency';

export type { LogQuery, LogRepo } from './store-logs';
export type { IdempotencyRecord, IdempotencyRepo, NewIdempotencyRecord } from './store-idempotency';

export type { UsageQuery, UsageRepo } from './store-usage';
export type { NotificationSearch, SearchRepo } from './store-search';
export type { NewSheetExport, SheetExportPatch, SheetExportRepo } from './store-sheets';
export type { NewProviderControl, ProviderActivity, ProviderControl, ProviderControlPatch, ProviderControlRepo } from './store-provider-control';

export type { ApiKeyRepo, NewApiKey, NewWorkspace, RateLimitRepo, WorkspaceRepo } from './tenancy';

/** Fields set by the store, never by the caller. */
export type Stamped = 'createdAt' | 'updatedAt';
/** Catalog records are created in the workspace passed beside them, never in one named inside. */
type Owned = Stamped | 'workspaceId';
export type NewProgram = Omit<Program, Owned>;
export type NewEventType = Omit<EventType, Owned>;
export type NewUser = Omit<User, Owned>;
export type NewSubscription = Omit<Subscription, Owned>;

/**
 * Catalog repos (programs, event types, users, subscriptions) take the workspace first, on
 * every call: ids are unique per workspace, and a record of another workspace is as absent as
 * one that does not exist (get null, update null, delete false, never in a list).
 * Errors: `create` with an id that exists in the workspace throws ConflictError; `update` of a
 * missing record resolves null; a store that cannot be reached throws StoreUnavailableError.
 * `update` patches: a key present with value `undefined` removes the field.
 */
export interface ProgramRepo {
  create(ws: string, p: NewProgram): Promise<Program>;
  get(ws: string, id: string): Promise<Program | null>;
  update(ws: string, id: string, patch: Partial<NewProgram>): Promise<Program | null>;
  /** Deleting a program deletes its event types and subscriptions. */
  delete(ws: string, id: string): Promise<boolean>;
  list(ws: string, q: PageQuery): Promise<Page<Program>>;
}

export interface EventTypeRepo {
  create(ws: string, e: NewEventType): Promise<EventType>;
  get(ws: string, programId: string, id: string): Promise<EventType | null>;
  update(ws: string, programId: string, id: string, patch: Partial<Omit<NewEventType, 'id' | 'programId'>>): Promise<EventType | null>;
  delete(ws: string, programId: string, id: string): Promise<boolean>;
  list(ws: string, programId: string, q: PageQuery): Promise<Page<EventType>>;
}

export interface UserRepo {
  create(ws: string, u: NewUser): Promise<User>;
  get(ws: string, id: string): Promise<User | null>;
  update(ws: string, id: string, patch: Partial<Omit<NewUser, 'id'>>): Promise<User | null>;
  /** Deleting a user deletes their subscriptions. */
  delete(ws: string, id: string): Promise<boolean>;
  list(ws: string, q: PageQuery): Promise<Page<User>>;
}

export interface SubscriptionFilter {
  userId?: string;
  programId?: string;
  eventTypeId?: string;
}

export interface SubscriptionRepo {
  /** At most one subscription per (user, program, eventTypeId or all): a second gets ConflictError. */
  create(ws: string, s: NewSubscription): Promise<Subscription>;
  get(ws: string, id: string): Promise<Subscription | null>;
  update(ws: string, id: string, patch: Partial<Pick<NewSubscription, 'channels'>>): Promise<Subscription | null>;
  delete(ws: string, id: string): Promise<boolean>;
  list(ws: string, filter: SubscriptionFilter, q: PageQuery): Promise<Page<Subscription>>;
  /**
   * Keyset page of the workspace's users subscribed to the event type (directly or program-wide), ordered by
   * user id, strictly after `afterUserId`, at most `limit` users, each with the union of channels.
   * An empty array means the end. Never loads more than one batch.
   */
  subscribersAfter(ws: string, programId: string, eventTypeId: string, afterUserId: string | undefined, limit: number): Promise<Subscriber[]>;
  /**
   * The whole walk at once: yields exactly the batches repeated `subscribersAfter(…, batchSize)` calls
   * would (each `batchSize` subscribers, the last one fewer, never an empty one), but the server sorts
   * once per walk, not once per page. Stopping early (`break`, `return()`) releases its cursors.
   */
  subscriberBatches(ws: string, programId: string, eventTypeId: string, afterUserId: string | undefined, batchSize: number): AsyncIterable<Subscriber[]>;
}

export type NewNotification = Omit<Notification, Stamped>;

/**
 * Notifications and messages carry their workspace; their ids are generated (globally unique),
 * so reads by id serve the workers, which act for every workspace. A caller acting for one
 * workspace (the API) lists with its workspace and checks `workspaceId` of what it reads by id.
 */
export interface NotificationRepo {
  create(n: NewNotification): Promise<Notification>;
  get(id: string): Promise<Notification | null>;
  /** Compare-and-set on status; resolves null when the notification is not in one of `from`. */
  transition(id: string, from: NotificationStatus[], to: NotificationStatus, patch?: Partial<NewNotification>): Promise<Notification | null>;
  /** The notifications among `ids` that exist, in no particular order (one round trip). */
  getMany(ids: string[]): Promise<Notification[]>;
  /**
   * Several `transition`s at once (ids distinct), each a compare-and-set on its own notification: for each change,
   * the notification right after it, or null when its status was not in `from` (or another writer moved it since).
   * `expected`, the notification as the caller read it, lets a store answer without reading it back.
   */
  transitionEach(
    changes: Array<{ id: string; from: NotificationStatus[]; to: NotificationStatus; patch?: Partial<NewNotification>; expected?: Notification }>,
  ): Promise<Array<Notification | null>>;
  /** Plain patch (e.g. dispatch cursor, validUntil), no status check. */
  update(id: string, patch: Partial<NewNotification>): Promise<Notification | null>;
  /** Notifications in `statuses` last updated before `updatedBefore`, oldest first (for the relay and scheduler). */
  findByStatus(
    statuses: NotificationStatus[],
    opts: { startBefore?: Date; updatedBefore?: Date; /** validUntil at or before this */ validBefore?: Date; limit: number },
  ): Promise<Notification[]>;
  list(filter: { workspaceId: string; programId?: string; status?: NotificationStatus }, q: PageQuery): Promise<Page<Notification>>;
}

export interface MessageFilter {
  status?: MessageStatus;
  channel?: Channel;
}

export type NewMessage = Omit<Message, Stamped>;

export interface MessageRepo {
  /** Inserts those whose id is new; existing ids are left untouched. Resolves the ids inserted. */
  insertMany(msgs: NewMessage[]): Promise<string[]>;
  get(id: string): Promise<Message | null>;
  /** The messages among `ids` that exist, in no particular order (one round trip). */
  getMany(ids: string[]): Promise<Message[]>;
  /**
   * Atomic compare-and-set: moves the message to `to` only if its status is in `from`, applies
   * `patch`, increments `attempts` when asked, and appends one entry to statusHistory.
   * Resolves the updated message, or null when the status was not in `from`.
   */
  transition(
    id: string,
    from: MessageStatus[],
    to: MessageStatus,
    opts?: {
      patch?: Partial<NewMessage>;
      reason?: string;
      providerStatus?: string;
      incrementAttempts?: boolean;
      /** Takes back the attempt the claim counted (it never reached the provider, or was only told to slow down). */
      uncountAttempt?: boolean;
      at?: Date;
      /** Only if the message holds no lease, or one that ended before this time (taking over an interrupted attempt). */
      leaseEndedBefore?: Date;
      /**
       * The message as the caller read it just before. When the compare-and-set matches and this copy is in one of
       * `from`, a returning call may answer it with the change applied instead of reading the message back.
       */
      expected?: Message;
    },
  ): Promise<Message | null>;
  /**
   * `transition` for many ids at once (no patch): each message whose status is in `from` moves to
   * `to` with one history entry; the others are left alone. One round trip; resolves how many moved.
   */
  transitionMany(ids: string[], from: MessageStatus[], to: MessageStatus, opts?: { reason?: string; at?: Date }): Promise<number>;
  /**
   * Several `transition`s in one round trip, each a compare-and-set on its own message as above.
   * Resolves how many moved (not which, nor the records): for callers that need neither.
   */
  transitionEach(
    changes: Array<{ id: string; from: MessageStatus[]; to: MessageStatus; opts?: Parameters<MessageRepo['transition']>[3] }>,
  ): Promise<number>;
  /**
   * `transitionEach` that tells who won: for each change (ids distinct), the message right after its
   * transition, or null when its compare failed or another writer moved it since. Two round trips.
   */
  transitionEachReturning(
    changes: Array<{ id: string; from: MessageStatus[]; to: MessageStatus; opts?: Parameters<MessageRepo['transition']>[3] }>,
  ): Promise<Array<Message | null>>;
  list(notificationId: string, filter: MessageFilter, q: PageQuery): Promise<Page<Message>>;
  countByStatus(notificationId: string): Promise<Partial<Record<MessageStatus, number>>>;
  findByProviderMessageId(providerMessageId: string): Promise<Message | null>;
  /**
   * Atomically sets `partStatuses[providerMessageId] = status` when that part has no status yet or
   * its status is in `from` (per-part forward-only). Resolves the updated message, or null when
   * the message is missing or the part's status was not in `from`.
   */
  recordPartStatus(id: string, providerMessageId: string, status: MessageStatus, from: MessageStatus[]): Promise<Message | null>;
  /**
   * Records a provider status that moves nothing (one Herald does not map): `providerStatus` is set
   * and a history entry with the unchanged status is appended. Resolves null for a missing message.
   */
  noteProviderStatus(id: string, note: { providerStatus: string; provider: string; reason: string; at?: Date }): Promise<Message | null>;
  /** Messages in `statuses` last updated before `updatedBefore` (for relays and sweepers). */
  findStale(statuses: MessageStatus[], updatedBefore: Date, limit: number): Promise<Message[]>;
  /** Ids of messages in `statuses` whose validUntil is before `now`. */
  findExpired(statuses: MessageStatus[], now: Date, limit: number): Promise<Message[]>;
  /** Ids of the notification's messages in `statuses`. */
  findByNotification(notificationId: string, statuses: MessageStatus[], limit: number): Promise<Message[]>;
  /**
   * Moves the lease of each message still `sending` in the given attempt to `until` (a live worker
   * renewing what it holds); no history entry. Resolves how many were renewed.
   */
  extendLeases(leases: Array<{ id: string; attempts: number }>, until: Date): Promise<number>;
  /**
   * Every message matching, oldest first (createdAt, then id), read `batchSize` at a time by keyset:
   * memory stays bounded whatever the count. Stopping early (`break`) ends the walk.
   */
  stream(filter: MessageStreamFilter, batchSize?: number): AsyncIterable<Message>;
  /** The workspace's messages last updated after `after` (updatedAt, then id) and at or before `upTo`, oldest change first (webhook catch-up). */
  changedSince(workspaceId: string, after: { at: Date; id: string }, upTo: Date, limit: number): Promise<Message[]>;
}

export interface MessageStreamFilter {
  /** Only this workspace's messages. */
  workspaceId?: string;
  notificationId?: string;
  /** createdAt at or after this. */
  createdFrom?: Date;
  /** createdAt strictly before this. */
  createdBefore?: Date;
}

export interface Store {
  readonly kind: 'mongo' | 'sqlite';
  connect(): Promise<void>;
  close(): Promise<void>;
  /** True when a round trip to the database succeeds now. */
  ping(): Promise<boolean>;
  programs: ProgramRepo;
  eventTypes: EventTypeRepo;
  users: UserRepo;
  subscriptions: SubscriptionRepo;
  notifications: NotificationRepo;
  messages: MessageRepo;
  logs: LogRepo;
  idempotencyKeys: IdempotencyRepo;
  providerControl: ProviderControlRepo;
  usage: UsageRepo;
  workspaces: WorkspaceRepo;
  apiKeys: ApiKeyRepo;
  rateLimits: RateLimitRepo;
  credits: CreditRepo;
  search: SearchRepo;
  campaigns: CampaignRepo;
  contactLists: ContactListRepo;
  sheetExports: SheetExportRepo;
  webhooks: WebhookRepo;
}
