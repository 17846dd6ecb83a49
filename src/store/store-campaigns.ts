// The storage contract of campaigns, their contacts and recipients, and CSV imports (both stores;
// test/contract/store.contract.campaigns.ts).
import type { Campaign, CampaignRecipient, CampaignStatus, Contact, ImportRecord } from '../domain/campaigns';
import type { Page, PageQuery } from '../domain/types';

export type NewCampaign = Omit<Campaign, 'createdAt' | 'updatedAt'>;
export type NewImport = Omit<ImportRecord, 'createdAt' | 'updatedAt'>;
export type CampaignPatch = Partial<Omit<NewCampaign, 'id' | 'workspaceId' | 'status'>>;

export interface CampaignFilter {
  status?: CampaignStatus;
  /** Only those whose sendAt is at or before this (absent sendAt counts as due). */
  dueBefore?: Date;
}

/**
 * Campaigns carry their workspace; ids are generated (globally unique), so workers read by id;
 * the API checks `workspaceId` of what it reads. A name is unique per workspace (ConflictError).
 * Contacts are keyed by (workspace, id) where id is the number's digits: adding one twice is a no-op.
 * Recipients are keyed by (campaign, contact): adding one twice is a no-op (the first text stays).
 */
export interface CampaignRepo {
  /** Inserts the contacts that are new (by id); resolves how many were created. */
  addContacts(ws: string, contacts: Array<Pick<Contact, 'id' | 'phone'> & Partial<Pick<Contact, 'name' | 'data'>>>): Promise<number>;
  getContact(ws: string, id: string): Promise<Contact | null>;
  listContacts(ws: string, q: PageQuery): Promise<Page<Contact>>;

  create(c: NewCampaign): Promise<Campaign>;
  get(id: string): Promise<Campaign | null>;
  getByName(ws: string, name: string): Promise<Campaign | null>;
  list(ws: string, filter: CampaignFilter, q: PageQuery): Promise<Page<Campaign>>;
  /** Compare-and-set on status; resolves null when the campaign is not in one of `from`. */
  transition(id: string, from: CampaignStatus[], to: CampaignStatus, patch?: CampaignPatch & { pauseReason?: string | undefined }): Promise<Campaign | null>;
  /** Plain patch, no status check (a key present with undefined removes the field). */
  update(id: string, patch: CampaignPatch): Promise<Campaign | null>;
  /** Campaigns in `statuses` whose sendAt is at or before `before` (or absent), oldest first. */
  findDue(statuses: CampaignStatus[], before: Date, limit: number): Promise<Campaign[]>;

  /** Inserts the recipients that are new for their campaign; resolves how many were inserted. */
  addRecipients(recipients: CampaignRecipient[]): Promise<number>;
  /** Keyset page of a campaign's recipients by contact id, strictly after `afterContactId`. */
  recipientsAfter(campaignId: string, afterContactId: string | undefined, limit: number): Promise<CampaignRecipient[]>;
  countRecipients(campaignId: string): Promise<number>;

  createImport(r: NewImport): Promise<ImportRecord>;
  getImport(id: string): Promise<ImportRecord | null>;
  /** The workspace's import made with this Idempotency-Key, if any. */
  findImportByKey(ws: string, key: string): Promise<ImportRecord | null>;
  updateImport(id: string, patch: Partial<Omit<NewImport, 'id' | 'workspaceId'>>): Promise<ImportRecord | null>;
}
