// Campaigns, contacts, recipients and imports in MongoDB: unordered bulk inserts that skip
// duplicate keys make every add idempotent; status changes are conditional updates.
import type { Campaign, CampaignRecipient, Contact, ImportRecord } from '../../domain/campaigns';
import type { CampaignRepo } from '../store';
import { OWNED_IMMUTABLE } from '../common';
import { duplicateIndexes, pageOf, patchUpdate, toRecord } from './docs';
import { ownedKey, type Models } from './models';

type Doc = Record<string, unknown>;

const IMMUTABLE = [...OWNED_IMMUTABLE, 'status'];
const AFTER = { returnDocument: 'after', ignoreUndefined: true } as const;

/** Inserts, skipping the duplicates; resolves how many were new. */
async function insertNew(insert: () => Promise<unknown>, total: number): Promise<number> {
  try {
    await insert();
    return total;
  } catch (e) {
    return total - duplicateIndexes(e).size;
  }
}

const fromCampaign = (d: Doc): Campaign => toRecord<Campaign>(d);
const fromContact = (d: Doc): Contact => toRecord<Contact>(d);
const fromRecipient = (d: Doc): CampaignRecipient => ({ campaignId: d.campaignId, contactId: d.contactId, to: d.to, text: d.text }) as CampaignRecipient;
const fromImport = (d: Doc): ImportRecord => toRecord<ImportRecord>(d);

export function campaignRepo(models: () => Models): CampaignRepo {
  const campaigns = () => models().campaigns.collection;
  const imports = () => models().imports.collection;
  const findCampaign = async (filter: Doc): Promise<Campaign | null> => {
    const d = await campaigns().findOne(filter as never);
    return d ? fromCampaign(d) : null;
  };

  return {
    async addContacts(ws, list) {
      if (list.length === 0) return 0;
      const now = new Date();
      const docs = list.map((c) => ({ _id: ownedKey(ws, c.id), ...c, workspaceId: ws, createdAt: now, updatedAt: now }));
      return insertNew(() => models().contacts.collection.insertMany(docs as never[], { ordered: false, ignoreUndefined: true }), docs.length);
    },
    async getContact(ws, id) {
      const d = await models().contacts.collection.findOne({ _id: ownedKey(ws, id) as never, workspaceId: ws });
      return d ? fromContact(d) : null;
    },
    async listContacts(ws, q) {
      return pageOf<Contact>(models().contacts, { workspaceId: ws }, { id: 1 }, q);
    },

    async create(c) {
      const now = new Date();
      const { id, ...rest } = c;
      await campaigns().insertOne({ _id: id, ...rest, createdAt: now, updatedAt: now } as never, { ignoreUndefined: true });
      return (await findCampaign({ _id: id }))!;
    },
    get: (id) => findCampaign({ _id: id }),
    getByName: (ws, name) => findCampaign({ workspaceId: ws, name }),
    async list(ws, filter, q) {
      const f: Doc = { workspaceId: ws };
      if (filter.status) f.status = filter.status;
      if (filter.dueBefore) f.$or = [{ sendAt: null }, { sendAt: { $lte: filter.dueBefore } }];
      return pageOf<Campaign>(models().campaigns, f, { createdAt: 1, _id: 1 }, q);
    },
    async transition(id, from, to, patch = {}) {
      const update = patchUpdate({ ...patch, status: to }, OWNED_IMMUTABLE);
      const d = await campaigns().findOneAndUpdate({ _id: id as never, status: { $in: from } }, update, AFTER);
      return d ? fromCampaign(d) : null;
    },
    async update(id, patch) {
      const d = await campaigns().findOneAndUpdate({ _id: id as never }, patchUpdate(patch, IMMUTABLE), AFTER);
      return d ? fromCampaign(d) : null;
    },
    async findDue(statuses, before, limit) {
      const docs = await campaigns()
        .find({ status: { $in: statuses }, $or: [{ sendAt: null }, { sendAt: { $lte: before } }] } as never)
        .sort({ sendAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(fromCampaign);
    },

    async addRecipients(list) {
      if (list.length === 0) return 0;
      const docs = list.map((r) => ({ _id: `${r.campaignId}:${r.contactId}`, ...r }));
      return insertNew(() => models().campaignRecipients.collection.insertMany(docs as never[], { ordered: false }), docs.length);
    },
    async recipientsAfter(campaignId, after, limit) {
      const filter: Doc = { campaignId };
      if (after !== undefined) filter.contactId = { $gt: after };
      const docs = await models().campaignRecipients.collection.find(filter as never).sort({ contactId: 1 }).limit(limit).toArray();
      return docs.map(fromRecipient);
    },
    async countRecipients(campaignId) {
      return models().campaignRecipients.collection.countDocuments({ campaignId });
    },

    async createImport(r) {
      const now = new Date();
      const { id, ...rest } = r;
      await imports().insertOne({ _id: id, ...rest, createdAt: now, updatedAt: now } as never, { ignoreUndefined: true });
      return fromImport((await imports().findOne({ _id: id as never }))!);
    },
    async getImport(id) {
      const d = await imports().findOne({ _id: id as never });
      return d ? fromImport(d) : null;
    },
    async findImportByKey(ws, key) {
      const d = await imports().findOne({ workspaceId: ws, idempotencyKey: key });
      return d ? fromImport(d) : null;
    },
    async updateImport(id, patch) {
      const d = await imports().findOneAndUpdate({ _id: id as never }, patchUpdate(patch, OWNED_IMMUTABLE), AFTER);
      return d ? fromImport(d) : null;
    },
  };
}
