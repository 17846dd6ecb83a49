// Herald's records. Pure data: every adapter (MongoDB, SQLite) stores exactly these shapes.
import type { NotificationRecipient, RecipientPath, Rule, RuleOutcome } from './audience-types';

export type { NotificationRecipient, RecipientPath, Rule, RuleOutcome } from './audience-types';

export const CHANNELS = ['sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const MESSAGE_STATUSES = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'cancelled',
  'rejected',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const NOTIFICATION_STATUSES = [
  'scheduled', // start in the future: waits for the scheduler
  'accepted', // due: waits for the dispatcher
  'dispatching', // fan-out in progress (resumable from dispatch.cursor)
  'dispatched', // every message created and queued
  'cancelled',
  'expired', // window closed before fan-out finished
] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** The workspace every record without one belongs to; it always exists. */
export const DEFAULT_WORKSPACE = 'default';

/** An organisation using Herald: owns its programs, users, notifications, keys and log lines. */
export interface Workspace {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export const ROLES = ['viewer', 'sender', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A stored API key: only the hash of its secret is kept; `prefix` identifies it in lists. */
export interface ApiKey {
  id: string;
  workspaceId: string;
  role: Role;
  name: string;
  prefix: string;
  /** sha256 of the whole key, hex. */
  hash: string;
  lastUsedAt?: Date;
  revokedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface Program {
  workspaceId: string;
  id: string;
  name: string;
  description?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface SmsTemplate {
  text: string;
}
export interface EmailTemplate {
  subject: string;
  text: string;
  html?: string;
}
export interface Templates {
  sms?: SmsTemplate;
  email?: EmailTemplate;
}

export interface EventType {
  workspaceId: string;
  /** Unique within its program. */
  id: string;
  programId: string;
  name: string;
  description?: string;
  templates: Templates;
  /** Named alternatives to `templates`, picked by rules and recipient paths; a channel it lacks falls back to `templates`. */
  templateSets?: Record<string, Templates>;
  /** Recipients every event of this type reaches, found in its data (a form's respondent). */
  recipientPaths?: RecipientPath[];
  /** Evaluated in order when a notification is accepted. */
  rules?: Rule[];
  createdAt: Date;
  updatedAt: Date;
}

export interface User {
  workspaceId: string;
  id: string;
  name: string;
  /** E.164, validated on save. */
  phone?: string;
  email?: string;
  locale?: string;
  /** IANA zone, e.g. Africa/Nairobi. */
  timezone?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Subscription {
  workspaceId: string;
  id: string;
  userId: string;
  programId: string;
  /** Absent: every event type of the program. */
  eventTypeId?: string;
  channels: Channel[];
  createdAt: Date;
  updatedAt: Date;
}

/** One user to reach for a notification, with the channels all their matching subscriptions ask for. */
export interface Subscriber {
  user: User;
  channels: Channel[];
}

export type NotificationSource = 'api' | 'legacy' | 'amqp' | 'cli';

export interface RequestedWindow {
  startTime: Date;
  endTime?: Date;
}

export interface Notification {
  workspaceId: string;
  id: string;
  programId: string;
  eventTypeId: string;
  startTime: Date;
  /** Closed window end, as given; absent for an open window. */
  endTime?: Date;
  /** The window the caller asked for, when Herald re-anchored it (startTime/endTime are the effective one). */
  requestedWindow?: RequestedWindow;
  /** Last moment a message may be handed to a provider: endTime, else start (or acceptance) + validity. */
  validUntil: Date;
  data: Record<string, unknown>;
  status: NotificationStatus;
  source: NotificationSource;
  idempotencyKey?: string;
  /** Notes on how the request was interpreted (e.g. a legacy window re-anchored). */
  warnings?: string[];
  /** Recipients besides the subscribers (explicit, recipient paths, rules). */
  recipients?: NotificationRecipient[];
  /** false: the program's subscribers are not reached, only the recipients (absent: they are). */
  subscribers?: boolean;
  /** Present when the event type has rules. */
  rules?: RuleOutcome;
  dispatch: {
    /** Last user id fanned out: a restarted fan-out resumes after it. */
    cursor?: string;
    messages: number;
    startedAt?: Date;
    finishedAt?: Date;
  };
  createdAt: Date;
  updatedAt: Date;
}

export interface StatusChange {
  status: MessageStatus;
  at: Date;
  reason?: string;
  provider?: string;
  providerStatus?: string;
}

export interface SmsInfo {
  encoding: 'GSM-7' | 'UCS-2';
  /** Carrier segments for the whole text. */
  segments: number;
  /** Texts sent in order when the text is longer than the maximum SMS length. */
  parts: string[];
}

export interface MessageError {
  code: string;
  message: string;
  providerCode?: string;
}

export interface Message {
  workspaceId: string;
  /**
   * Deterministic: `${notificationId}:${userId}:${channel}`, so a repeated fan-out cannot create it twice.
   * For a recipient who is not a user, userId is its recipient key (`rcpt-` and a hash of the address).
   */
  id: string;
  notificationId: string;
  /** A campaign's message: notificationId is the campaign id too, programId and eventTypeId are '', userId is the contact id. */
  campaignId?: string;
  programId: string;
  eventTypeId: string;
  userId: string;
  channel: Channel;
  /** Phone or email address; empty when the user has none (the message is then rejected). */
  to: string;
  content: { text: string; subject?: string; html?: string };
  sms?: SmsInfo;
  status: MessageStatus;
  statusHistory: StatusChange[];
  validUntil: Date;
  attempts: number;
  provider?: string;
  providerMessageIds?: string[];
  providerStatus?: string;
  /** Per SMS part, by provider message id: what the delivery reports said (the message's status aggregates them). */
  partStatuses?: Record<string, MessageStatus>;
  error?: MessageError;
  /** Set when a provider may have accepted an earlier attempt we could not confirm. */
  possibleDuplicate?: boolean;
  /** While `sending`: the worker holding the attempt owns it until then; after it, the attempt counts as interrupted. */
  leaseUntil?: Date;
  createdAt: Date;
  updatedAt: Date;
  sentAt?: Date;
  deliveredAt?: Date;
  /** Milli-credits reserved for it at dispatch (a metered workspace, a price above 0); given back if it ends unsent. */
  cost?: number;
}

export interface LogLine {
  /** Monotonic per store, for following. */
  seq?: number;
  /** The workspace the line concerns; absent on process-wide lines (admins only). */
  workspaceId?: string;
  time: Date;
  level: string;
  process: string;
  message: string;
  notificationId?: string;
  messageId?: string;
  meta?: Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface PageQuery {
  limit: number;
  offset: number;
}
