// Contact lists and their members in MongoDB: a member's _id is `<listId>:<contactId>`, so an
// unordered insert that skips duplicate keys adds each contact once.
import type { Contact } from '../../domain/campaigns';
import type { ContactList } from '../../domain/contact-lists';
import type { ContactListRepo } from '../store';
import { duplicateIndexes, findByIdLists, pageOf, toRecord } from './docs';
import { ownedKey, type Models } from './models';

type Doc = Record<string, unknown>;

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function contactListRepo(models: () => Models): ContactListRepo {
  const lists = () => models().contactLists.collection;
  const members = () => models().contactListMembers.collection;
  const getList = async (ws: string, id: string): Promise<ContactList | null> => {
    const d = await lists().findOne({ _id: id as never, workspaceId: ws });
    return d ? toRecord<ContactList>(d) : null;
  };
  return {
    async create(l) {
      const now = new Date();
      const { id, ...rest } = l;
      await lists().insertOne({ _id: id, ...rest, createdAt: now, updatedAt: now } as never);
      return (await getList(l.workspaceId, id))!;
    },
    get: getList,
    list: (ws, q) => pageOf<ContactList>(models().contactLists, { workspaceId: ws }, { createdAt: 1, _id: 1 }, q),
    async delete(ws, id) {
      const gone = (await lists().deleteOne({ _id: id as never, workspaceId: ws })).deletedCount > 0;
      if (gone) await members().deleteMany({ listId: id });
      return gone;
    },
    async addMembers(ws, listId, contactIds) {
      if (contactIds.length === 0 || !(await getList(ws, listId))) return 0;
      const docs = [...new Set(contactIds)].map((contactId) => ({ _id: `${listId}:${contactId}`, listId, contactId }));
      try {
        await members().insertMany(docs as never[], { ordered: false });
        return docs.length;
      } catch (e) {
        return docs.length - duplicateIndexes(e).size;
      }
    },
    async countMembers(ws, listId) {
      if (!(await getList(ws, listId))) return 0;
      return members().countDocuments({ listId });
    },
    async membersAfter(ws, listId, after, limit) {
      if (!(await getList(ws, listId))) return [];
      const filter: Doc = { listId };
      if (after !== undefined) filter.contactId = { $gt: after };
      const ids = (await members().find(filter as never).sort({ contactId: 1 }).limit(limit).toArray()).map((m) => m.contactId as string);
      if (ids.length === 0) return [];
      // By `_id` alone, in lists of at most 100 (with workspaceId in the filter, mongo-java-server scanned every contact
      // for each batch); the workspace is checked here: another workspace's contact never comes back.
      const docs = await findByIdLists(ids.map((id) => ownedKey(ws, id)), (keys) => models().contacts.collection.find({ _id: { $in: keys } } as never).toArray());
      const byId = new Map(docs.filter((d) => d.workspaceId === ws).map((d) => [d.id as string, toRecord<Contact>(d)]));
      return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    },
    async searchContacts(ws, filter, q) {
      const f: Doc = { workspaceId: ws };
      if (filter.idPrefix) f.id = { $regex: `^${escapeRegex(filter.idPrefix)}` };
      return pageOf<Contact>(models().contacts, f, { id: 1 }, q);
    },
  };
}
