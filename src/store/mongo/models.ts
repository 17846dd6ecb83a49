// MongoDB collections and indexes. Records keep their own id as _id (event types and log lines,
// whose key is compound or a sequence, keep an ObjectId). Stamps are set by the repos, not mongoose.
import { Schema, type Connection, type Model } from 'mongoose';
import { USAGE_COLUMNS } from '../../domain/usage';
import { DEFAULT_WORKSPACE } from '../../domain/types';
import { buildWebhookModels, type WebhookModels } from './models-webhooks';
import { buildCampaignModels, type CampaignModels } from './models-campaigns';
import { buildSheetModels, type SheetModels } from './models-sheets';
import { buildCreditModels, type CreditModels } from './models-credits';
import { base, owned } from './models-base';

const { Mixed } = Schema.Types;
/** The default workspace keeps the `_id`s records had before workspaces; others prefix theirs (ids never hold ':'). */
export function ownedKey(workspaceId: string, id: string): string {
  return workspaceId === DEFAULT_WORKSPACE ? id : `${workspaceId}:${id}`;
}

const programSchema = new Schema(
  { ...owned, name: { type: String, required: true }, description: String, createdAt: Date, updatedAt: Date },
  { ...base, collection: 'programs' },
);
programSchema.index({ workspaceId: 1, id: 1 });

const eventTypeSchema = new Schema(
  {
    // An ObjectId _id: the key is (workspaceId, programId, id), kept unique by the index below.
    workspaceId: { type: String, required: true },
    id: { type: String, required: true },
    programId: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    templates: { type: Mixed, default: () => ({}) },
    templateSets: { type: Mixed, default: undefined },
    recipientPaths: { type: Mixed, default: undefined },
    rules: { type: Mixed, default: undefined },
    createdAt: Date,
    updatedAt: Date,
  },
  { ...base, collection: 'eventtypes' },
);
eventTypeSchema.index({ workspaceId: 1, programId: 1, id: 1 }, { unique: true });

const userSchema = new Schema(
  {
    ...owned, name: { type: String, required: true }, phone: String, email: String, locale: String, timezone: String,
    createdAt: Date, updatedAt: Date,
  },
  { ...base, collection: 'users' },
);
userSchema.index({ workspaceId: 1, id: 1 });

const subscriptionSchema = new Schema(
  {
    ...owned,
    userId: { type: String, required: true },
    programId: { type: String, required: true },
    eventTypeId: String,
    /** eventTypeId as 'e:<id>', or '*' for the whole program: the unique key needs a value for both. */
    scope: { type: String, required: true },
    channels: { type: [String], default: undefined },
    createdAt: Date,
    updatedAt: Date,
  },
  { ...base, collection: 'subscriptions' },
);
subscriptionSchema.index({ workspaceId: 1, id: 1 });
subscriptionSchema.index({ workspaceId: 1, userId: 1, programId: 1, scope: 1 }, { unique: true });
subscriptionSchema.index({ workspaceId: 1, programId: 1, scope: 1, userId: 1 });

const dispatchSchema = new Schema(
  { cursor: String, messages: { type: Number, default: 0 }, startedAt: Date, finishedAt: Date },
  { _id: false, ...base },
);

const notificationSchema = new Schema(
  {
    _id: String,
    workspaceId: { type: String, required: true },
    programId: { type: String, required: true },
    eventTypeId: { type: String, required: true },
    startTime: Date,
    endTime: Date,
    validUntil: Date,
    data: { type: Mixed, default: () => ({}) },
    status: { type: String, required: true },
    source: String,
    idempotencyKey: String,
    warnings: { type: [String], default: undefined },
    requestedWindow: { type: new Schema({ startTime: Date, endTime: Date }, { _id: false, ...base }), default: undefined },
    recipients: { type: Mixed, default: undefined },
    rules: { type: Mixed, default: undefined },
    subscribers: Boolean,
    dispatch: { type: dispatchSchema, default: () => ({ messages: 0 }) },
    createdAt: Date,
    updatedAt: Date,
  },
  { ...base, collection: 'notifications' },
);
notificationSchema.index({ status: 1, updatedAt: 1 });
notificationSchema.index({ status: 1, startTime: 1 });
notificationSchema.index({ programId: 1, createdAt: -1 });
notificationSchema.index({ idempotencyKey: 1 }, { sparse: true });
notificationSchema.index({ workspaceId: 1, createdAt: -1 });
/** Redundant on MongoDB (_id is unique); lets mongo-java-server find a compare-and-set's {_id, status} without a scan. */
notificationSchema.index({ _id: 1, status: 1 }, { unique: true });

const messageSchema = new Schema(
  {
    _id: String,
    workspaceId: String,
    notificationId: { type: String, required: true },
    programId: String,
    eventTypeId: String,
    userId: String,
    channel: String,
    to: String,
    content: Mixed,
    sms: Mixed,
    status: { type: String, required: true },
    /** Entries as arrays [status, at, reason, provider, providerStatus] (message-docs.ts); older documents hold objects. */
    statusHistory: { type: [Mixed], default: () => [] },
    validUntil: Date,
    attempts: { type: Number, default: 0 },
    provider: String,
    providerMessageIds: { type: [String], default: undefined },
    providerStatus: String,
    error: Mixed,
    possibleDuplicate: Boolean,
    createdAt: Date,
    updatedAt: Date,
    sentAt: Date,
    deliveredAt: Date,
    leaseUntil: Date,
    /** Keys are provider message ids with '%', '.' and '$' escaped (field names cannot hold them). */
    partStatuses: Mixed,
    campaignId: String,
    /** Milli-credits reserved at dispatch. */
    cost: Number,
  },
  { ...base, collection: 'messages' },
);
messageSchema.index({ notificationId: 1, status: 1 });
messageSchema.index({ notificationId: 1, createdAt: 1, _id: 1 });
messageSchema.index({ providerMessageIds: 1 });
messageSchema.index({ status: 1, updatedAt: 1 });
messageSchema.index({ workspaceId: 1, updatedAt: 1, _id: 1 });
messageSchema.index({ status: 1, validUntil: 1 });
/** Redundant on MongoDB (_id is unique); lets mongo-java-server find a transition's {_id, status} without a scan. */
messageSchema.index({ _id: 1, status: 1 }, { unique: true });
/** CSV exports walk messages by creation time. */
messageSchema.index({ createdAt: 1, _id: 1 });
messageSchema.index({ workspaceId: 1, to: 1, createdAt: -1 }); // a message by its recipient (store-search.ts)
/** A recipient's usage, counted from its messages (repos-usage.ts); written at insert only (the fields never change). */
messageSchema.index({ workspaceId: 1, userId: 1, createdAt: 1 });

const logSchema = new Schema(
  {
    seq: { type: Number, required: true },
    time: Date,
    level: String,
    levelRank: Number,
    process: String,
    message: String,
    notificationId: String,
    messageId: String,
    meta: Mixed,
    workspaceId: String,
  },
  { ...base, collection: 'logs' },
);
logSchema.index({ workspaceId: 1, seq: 1 });
/** Not unique: a line's `_id` is its seq (lines from before have an ObjectId), one unique index per line instead of two. */
logSchema.index({ seq: 1 });
logSchema.index({ notificationId: 1, seq: 1 });
logSchema.index({ messageId: 1, seq: 1 });

const idempotencySchema = new Schema(
  {
    scope: { type: String, required: true },
    key: { type: String, required: true },
    token: String,
    bodyHash: String,
    state: String,
    notificationId: String,
    expiresAt: Date,
    createdAt: Date,
    updatedAt: Date,
  },
  { ...base, collection: 'idempotencykeys' },
);
// Unique per client: the insert that claims a key fails on a duplicate. No TTL index: expiry is checked on read and pruned.
idempotencySchema.index({ scope: 1, key: 1 }, { unique: true });
idempotencySchema.index({ expiresAt: 1 });

/** Sequence numbers reserved with $inc (log seq blocks). */
const counterSchema = new Schema({ _id: String, seq: Number }, { ...base, collection: 'counters' });

const providerControlSchema = new Schema(
  {
    _id: String,
    channel: String,
    paused: Boolean,
    order: Number,
    weight: Number,
    ratePerSecond: Number,
    sent: { type: Number, default: 0 },
    failed: { type: Number, default: 0 },
    circuitOpenUntil: Date,
    updatedAt: Date,
  },
  { ...base, collection: 'providercontrols' },
);

/** Send slots: per provider (`_id`), the start of its next free slot (GCRA, src/domain/send-slots.ts). */
const providerSlotSchema = new Schema({ _id: String, tat: Number }, { ...base, collection: 'providerslots' });

/** Usage counters: _id is `workspace|hour|dimension|key|channel|provider`; counters are incremented, never set. */
const usageRollupSchema = new Schema(
  {
    _id: String, workspaceId: String, hour: Date, dimension: String, key: String, channel: String, provider: String,
    ...Object.fromEntries(USAGE_COLUMNS.map((c) => [c, { type: Number, default: 0 }])),
  },
  { ...base, collection: 'usagerollups' },
);
usageRollupSchema.index({ workspaceId: 1, dimension: 1, key: 1, hour: 1 });
const workspaceSchema = new Schema({ _id: String, name: String, createdAt: Date, updatedAt: Date }, { ...base, collection: 'workspaces' });

const apiKeySchema = new Schema(
  {
    _id: String, workspaceId: String, role: String, name: String, prefix: String, hash: String,
    lastUsedAt: Date, revokedAt: Date, createdAt: Date, updatedAt: Date,
  },
  { ...base, collection: 'apikeys' },
);
apiKeySchema.index({ workspaceId: 1, createdAt: 1, _id: 1 });
apiKeySchema.index({ revokedAt: 1 });

/** Rate-limit windows: `_id` is `<key>|<windowStart>`, so one upsert counts a hit. */
const rateLimitSchema = new Schema({ _id: String, key: String, windowStart: Number, hits: Number, expiresAt: Date }, { ...base, collection: 'ratelimits' });
rateLimitSchema.index({ key: 1 });
rateLimitSchema.index({ expiresAt: 1 });
export interface Models extends WebhookModels, CampaignModels, SheetModels, CreditModels {
  programs: Model<any>;
  eventTypes: Model<any>;
  users: Model<any>;
  subscriptions: Model<any>;
  notifications: Model<any>;
  messages: Model<any>;
  logs: Model<any>;
  counters: Model<any>;
  idempotencyKeys: Model<any>;
  providerControls: Model<any>;
  providerSlots: Model<any>;
  usageRollups: Model<any>;
  workspaces: Model<any>;
  apiKeys: Model<any>;
  rateLimits: Model<any>;
}

export function buildModels(conn: Connection): Models {
  return {
    programs: conn.model('Program', programSchema),
    eventTypes: conn.model('EventType', eventTypeSchema),
    users: conn.model('User', userSchema),
    subscriptions: conn.model('Subscription', subscriptionSchema),
    notifications: conn.model('Notification', notificationSchema),
    messages: conn.model('Message', messageSchema),
    logs: conn.model('LogLine', logSchema),
    counters: conn.model('Counter', counterSchema),
    idempotencyKeys: conn.model('IdempotencyKey', idempotencySchema),
    providerControls: conn.model('ProviderControl', providerControlSchema),
    providerSlots: conn.model('ProviderSlot', providerSlotSchema),
    usageRollups: conn.model('UsageRollup', usageRollupSchema),
    workspaces: conn.model('Workspace', workspaceSchema),
    apiKeys: conn.model('ApiKey', apiKeySchema),
    rateLimits: conn.model('RateLimit', rateLimitSchema),
    ...buildWebhookModels(conn),
    ...buildCampaignModels(conn),
    ...buildSheetModels(conn),
    ...buildCreditModels(conn),
  };
}
