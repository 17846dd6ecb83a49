// Contact lists as the API sees them: create (with numbers), add numbers, read with their size,
// delete; and the workspace's contacts, searchable by number. A number becomes a contact of the
// workspace the first time it is seen (one per number), a member of a list at most once.
import { randomUUID } from 'node:crypto';
import type { HeraldConfig } from '../../config';
import { contactIdOf, type Contact } from '../../domain/campaigns';
import { toE164 } from '../../domain/contact';
import type { ContactList } from '../../domain/contact-lists';
import { NotFoundError, UnprocessableError, type FieldIssue } from '../../domain/errors';
import type { Page, PageQuery } from '../../domain/types';
import type { Store } from '../../store/store';

export interface ContactListView extends ContactList {
  /** Its members (distinct numbers). */
  size: number;
}

/** E.164 of a number as campaigns read it: national form in the default region, or bare international digits. */
export function normalisePhone(text: string, region: string | undefined): string | undefined {
  return toE164(text, region) ?? (/^\d{8,15}$/.test(text.trim()) ? toE164(`+${text.trim()}`) : undefined);
}

export function createContactService(deps: { store: Store; config: Pick<HeraldConfig, 'phone'> }) {
  const { store, config } = deps;

  async function own(ws: string, id: string): Promise<ContactList> {
    const l = await store.contactLists.get(ws, id);
    if (!l) throw new NotFoundError('contact list', id);
    return l;
  }
  const view = async (l: ContactList): Promise<ContactListView> => ({ ...l, size: await store.contactLists.countMembers(l.workspaceId, l.id) });

  /** The numbers as contact ids, every invalid one a 422 issue naming `phones[i]` (nothing written then). */
  function parse(phones: string[]): Map<string, string> {
    const issues: FieldIssue[] = [];
    const out = new Map<string, string>();
    phones.forEach((p, i) => {
      const e164 = normalisePhone(p, config.phone.defaultRegion);
      if (!e164) issues.push({ field: `phones[${i}]`, reason: `'${p}' is not a valid phone number` });
      else out.set(contactIdOf(e164), e164);
    });
    if (issues.length) throw new UnprocessableError(issues);
    return out;
  }

  async function add(ws: string, listId: string, numbers: Map<string, string>): Promise<number> {
    const ids = [...numbers.keys()];
    let added = 0;
    for (let i = 0; i < ids.length; i += 1000) {
      const part = ids.slice(i, i + 1000);
      await store.campaigns.addContacts(ws, part.map((id) => ({ id, phone: numbers.get(id)! })));
      added += await store.contactLists.addMembers(ws, listId, part);
    }
    return added;
  }

  return {
    async create(ws: string, req: { name: string; phones?: string[] }): Promise<ContactListView> {
      const numbers = parse(req.phones ?? []);
      const l = await store.contactLists.create({ workspaceId: ws, id: randomUUID(), name: req.name });
      await add(ws, l.id, numbers);
      return view(l);
    },
    get: async (ws: string, id: string) => view(await own(ws, id)),
    async list(ws: string, q: PageQuery): Promise<Page<ContactListView>> {
      const page = await store.contactLists.list(ws, q);
      return { ...page, items: await Promise.all(page.items.map(view)) };
    },
    /** Adds the numbers; resolves the list and how many of them were not members yet. */
    async addPhones(ws: string, id: string, phones: string[]): Promise<ContactListView & { added: number }> {
      const l = await own(ws, id);
      const added = await add(ws, l.id, parse(phones));
      return { ...(await view(l)), added };
    },
    async delete(ws: string, id: string): Promise<void> {
      if (!(await store.contactLists.delete(ws, id))) throw new NotFoundError('contact list', id);
    },
    /** The workspace's contacts; `phone` (a number or its first digits) narrows to those starting with it. */
    contacts(ws: string, phone: string | undefined, q: PageQuery): Promise<Page<Contact>> {
      const full = phone ? normalisePhone(phone, config.phone.defaultRegion) : undefined;
      const idPrefix = full ? contactIdOf(full) : phone?.replace(/\D/g, '');
      return store.contactLists.searchContacts(ws, { idPrefix: idPrefix || undefined }, q);
    },
  };
}

export type ContactService = ReturnType<typeof createContactService>;
