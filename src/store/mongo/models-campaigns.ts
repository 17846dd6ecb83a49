// MongoDB collections of contacts, campaigns, their planned recipients and CSV imports (spread into models.ts).
import { Schema, type Connection, type Model } from 'mongoose';
import { base, owned } from './models-base';

const { Mixed } = Schema.Types;

/** Contacts: `_id` is ownedKey(workspaceId, id), the id being the number's digits. */
const contactSchema = new Schema(
  { ...owned, phone: { type: String, required: true }, name: String, data: Mixed, createdAt: Date, updatedAt: Date },
  { ...base, collection: 'contacts' },
);
contactSchema.index({ workspaceId: 1, id: 1 });

const campaignSchema = new Schema(
  {
    _id: String, workspaceId: String, name: String, channel: String, message: String, provider: String, strictProvider: Boolean,
    sendAt: Date, validityHours: Number, validUntil: Date, status: String, pauseReason: String, recipients: Number, run: Mixed,
    importId: String, warnings: { type: [String], default: undefined }, createdAt: Date, updatedAt: Date,
  },
  { ...base, collection: 'campaigns' },
);
campaignSchema.index({ workspaceId: 1, name: 1 }, { unique: true });
campaignSchema.index({ status: 1, sendAt: 1 });
campaignSchema.index({ workspaceId: 1, createdAt: 1, _id: 1 });

/** A campaign's planned messages: `_id` is `<campaignId>:<contactId>`. */
const campaignRecipientSchema = new Schema(
  { _id: String, campaignId: String, contactId: String, to: String, text: String },
  { ...base, collection: 'campaignrecipients' },
);
campaignRecipientSchema.index({ campaignId: 1, contactId: 1 });

const importSchema = new Schema(
  {
    _id: String, workspaceId: String, status: String, dryRun: Boolean, onError: String, provider: String, report: Mixed,
    idempotencyKey: String, bodyHash: String, error: String, createdAt: Date, updatedAt: Date,
  },
  { ...base, collection: 'imports' },
);
importSchema.index({ workspaceId: 1, idempotencyKey: 1 });

/** Contact lists (`_id` is the generated id) and their members (`_id` is `<listId>:<contactId>`). */
const contactListSchema = new Schema({ _id: String, workspaceId: String, name: String, createdAt: Date, updatedAt: Date }, { ...base, collection: 'contactlists' });
contactListSchema.index({ workspaceId: 1, createdAt: 1, _id: 1 });
const contactListMemberSchema = new Schema({ _id: String, listId: String, contactId: String }, { ...base, collection: 'contactlistmembers' });
contactListMemberSchema.index({ listId: 1, contactId: 1 });

export interface CampaignModels {
  contactLists: Model<any>;
  contactListMembers: Model<any>;
  contacts: Model<any>;
  campaigns: Model<any>;
  campaignRecipients: Model<any>;
  imports: Model<any>;
}

export function buildCampaignModels(conn: Connection): CampaignModels {
  return {
    contactLists: conn.model('ContactList', contactListSchema),
    contactListMembers: conn.model('ContactListMember', contactListMemberSchema),
    contacts: conn.model('Contact', contactSchema),
    campaigns: conn.model('Campaign', campaignSchema),
    campaignRecipients: conn.model('CampaignRecipient', campaignRecipientSchema),
    imports: conn.model('Import', importSchema),
  };
}
