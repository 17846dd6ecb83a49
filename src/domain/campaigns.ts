// Campaigns: one text to many contacts (from a CSV import or an API call), sent through the same
// message pipeline as notifications. Pure data and the rules that need no I/O.
import type { MessageStatus } from './types';

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Statuses from which a campaign may still send: `run` starts it, the scheduler starts a due `scheduled` one. */
export const RUNNABLE: readonly CampaignStatus[] = ['draft', 'scheduled'];
/** A campaign whose messages the sender must hold (not hand to a provider). */
export const HELD: readonly CampaignStatus[] = ['draft', 'scheduled', 'paused'];

/** A person a workspace can reach by SMS; the id is the E.164 number's digits, so a number is one contact. */
export interface Contact {
  workspaceId: string;
  id: string;
  /** E.164. */
  phone: string;
  name?: string;
  data?: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface Campaign {
  workspaceId: string;
  /** Generated, globally unique (messages carry it as notificationId and campaignId). */
  id: string;
  /** Unique per workspace. */
  name: string;
  channel: 'sms';
  /** The text as given (a handlebars template over each recipient's data); every recipient's own text is rendered once, when added. */
  message: string;
  /** Provider instance to send through; others only by failover unless strictProvider. */
  provider?: string;
  strictProvider?: boolean;
  /** When it goes out (absent: when run). */
  sendAt?: Date;
  validityHours: number;
  /** Set when it starts: the last moment its messages may be handed to a provider. */
  validUntil?: Date;
  status: CampaignStatus;
  /** Why it is paused: `insufficient_credit` (the balance ran out) or `operator`. */
  pauseReason?: string;
  /** Distinct recipients planned. */
  recipients: number;
  run: {
    /** Last contact id whose message was created: a restarted run resumes after it. */
    cursor?: string;
    /** Messages created so far. */
    messages: number;
    startedAt?: Date;
    finishedAt?: Date;
  };
  importId?: string;
  warnings?: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** One planned message: a contact of a campaign with its own rendered text. (campaignId, contactId) is unique. */
export interface CampaignRecipient {
  campaignId: string;
  contactId: string;
  to: string;
  text: string;
}

export interface RejectedRow {
  /** Line of the file where the row starts (the header is line 1). */
  line: number;
  column?: string;
  reason: string;
}

export interface ImportReport {
  rowsRead: number;
  rowsImported: number;
  /** Rows whose sending time was older than the validity window: reported, not sent. */
  rowsExpired: number;
  campaignsCreated: number;
  campaignsReused: number;
  /** Campaign names with their ids (ids only when written). */
  campaigns: Array<{ name: string; id?: string; recipients: number; sendAt?: Date; created: boolean }>;
  contactsCreated: number;
  /** Distinct (campaign, number) pairs: each is one message. */
  messagesPlanned: number;
  /** Numbers given again within a campaign (one message each). */
  duplicates: number;
  segments: number;
  /** Credits the planned messages will cost at the workspace's prices. */
  credits: number;
  rejected: RejectedRow[];
  /** Rejected rows in all; `rejected` lists at most the first 1000. */
  rejectedTotal: number;
  warnings: string[];
}

export const IMPORT_STATUSES = ['running', 'completed', 'rejected', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export interface ImportRecord {
  workspaceId: string;
  id: string;
  status: ImportStatus;
  dryRun: boolean;
  onError: 'reject' | 'skip';
  provider?: string;
  report: ImportReport;
  idempotencyKey?: string;
  /** sha256 of the file: the same key with another file is refused. */
  bodyHash?: string;
  error?: string;
  createdAt: Date;
  updatedAt: Date;
}

export const MAX_REJECTED_LISTED = 1000;

export function emptyReport(): ImportReport {
  return {
    rowsRead: 0, rowsImported: 0, rowsExpired: 0, campaignsCreated: 0, campaignsReused: 0, campaigns: [], contactsCreated: 0,
    messagesPlanned: 0, duplicates: 0, segments: 0, credits: 0, rejected: [], rejectedTotal: 0, warnings: [],
  };
}

/** Contact id of an E.164 number: its digits (ids never hold ':' or '+'). */
export function contactIdOf(e164: string): string {
  return e164.replace(/^\+/, '');
}

/** Deterministic: a rerun of the same campaign cannot create a contact's message twice. */
export function campaignMessageId(campaignId: string, contactId: string): string {
  return `${campaignId}:${contactId}:sms`;
}

/** Message statuses a campaign's counts show, plus `unsent`: planned, no message created yet. */
export type CampaignCounts = Partial<Record<MessageStatus | 'unsent', number>>;
